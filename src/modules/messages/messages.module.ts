import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { QueueName } from '../../common/queues/queues';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InstancesModule } from '../instances/instances.module';
import { ProvidersModule } from '../providers/providers.module';
import { ChatActivity } from './chat-activity';
import { ChatEntity } from './chat.entity';
import { ConversationsService } from './conversations.service';
import { InboxController } from './inbox.controller';
import { InboxService } from './inbox.service';
import { MessageEntity } from './message.entity';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { SendQueueService } from './send-queue/send-queue.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([MessageEntity, ChatEntity]),
    BullModule.registerQueue({ name: QueueName.MessageSend }),
    InstancesModule,
    ProvidersModule,
  ],
  controllers: [MessagesController, InboxController],
  providers: [MessagesService, ConversationsService, InboxService, ChatActivity, SendQueueService],
  exports: [ConversationsService, MessagesService, ChatActivity, SendQueueService],
})
export class MessagesModule {}
