import { Processor } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QueueName } from '../../../common/queues/queues';
import { AppConfig } from '../../../config/app-config';
import { InstanceEntity } from '../../instances-core/instance.entity';
import { InstancesModule } from '../../instances/instances.module';
import { ProvidersModule } from '../../providers/providers.module';
import { MessageEntity } from '../message.entity';
import { MessagesModule } from '../messages.module';
import { SendPacer } from './pacing';
import { SendMessageProcessor } from './send-message.processor';
import { SendSweeper } from './send-sweeper.service';

/**
 * The async send worker (issue 11): the `message-send` processor, its pacing and the sweeper.
 * Imported only where workers run (APP_ROLE worker|all); the API side queues through
 * MessagesModule's SendQueueService.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([MessageEntity, InstanceEntity]),
    MessagesModule,
    InstancesModule,
    ProvidersModule,
  ],
  providers: [SendMessageProcessor, SendPacer, SendSweeper],
})
export class SendWorkerModule {
  /** Worker options from configuration (SEND_CONCURRENCY), applied with @Processor. */
  static register(config: AppConfig['send']) {
    Processor(QueueName.MessageSend, { concurrency: config.concurrency })(SendMessageProcessor);
    return SendWorkerModule;
  }
}
