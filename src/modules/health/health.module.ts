import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { QueueName } from '../../common/queues/queues';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule, BullModule.registerQueue({ name: QueueName.WebhookDelivery })],
  controllers: [HealthController],
})
export class HealthModule {}
