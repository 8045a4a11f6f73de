import { BullModule, Processor } from '@nestjs/bullmq';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookHttpClient } from '../../common/http/webhook-http-client';
import { QueueName } from '../../common/queues/queues';
import { InstanceEntity } from '../instances-core/instance.entity';
import { AppConfig } from '../../config/app-config';
import { AccountEventStreamController } from './account-event-stream.controller';
import { DeliverWebhookProcessor, deliveryWorkerOptions } from './deliver-webhook.processor';
import { DeliveryRetentionService } from './delivery-retention.service';
import { DeliverySweeperService } from './delivery-sweeper.service';
import { EventEntity } from './event.entity';
import { EventStreamController } from './event-stream.controller';
import { EventStreamService } from './event-stream.service';
import { EventsController } from './events.controller';
import { InstanceEventSink } from '../usage/instance-event-sink';
import { EventsService } from './events.service';
import { ReplayWebhookProcessor } from './replay-webhook.processor';
import { WebhookDeliveriesController } from './webhook-deliveries.controller';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookDeliveryAttemptEntity } from './webhook-delivery-attempt.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEndpointService } from './webhook-endpoint.service';
import { WebhookSenderService } from './webhook-sender.service';

/**
 * Outbox, delivery, the delivery log API and endpoint policies. The processors, the sweeper and
 * retention run only where workers run (APP_ROLE worker|all); the sender is everywhere because
 * `POST …/webhook/test` attempts synchronously.
 */
@Module({})
export class WebhooksModule {
  static register(opts: { workers: boolean; config: AppConfig['webhooks'] }): DynamicModule {
    // worker options (concurrency, lock) come from configuration, so the decorator is applied here
    if (opts.workers)
      Processor(QueueName.WebhookDelivery, deliveryWorkerOptions(opts.config))(DeliverWebhookProcessor);
    const workerProviders: Provider[] = opts.workers
      ? [DeliverWebhookProcessor, ReplayWebhookProcessor, DeliverySweeperService, DeliveryRetentionService]
      : [];
    return {
      module: WebhooksModule,
      global: true,
      imports: [
        TypeOrmModule.forFeature([
          EventEntity,
          WebhookDeliveryEntity,
          WebhookDeliveryAttemptEntity,
          InstanceEntity,
        ]),
        BullModule.registerQueue({ name: QueueName.WebhookDelivery }, { name: QueueName.WebhookReplay }),
      ],
      controllers: [
        EventStreamController,
        AccountEventStreamController,
        EventsController,
        WebhookDeliveriesController,
      ],
      providers: [
        EventsService,
        // usage/ records `limit_exceeded` through this port, so it never imports webhooks/
        { provide: InstanceEventSink, useExisting: EventsService },
        EventStreamService,
        WebhookHttpClient,
        WebhookSenderService,
        WebhookEndpointService,
        WebhookDeliveriesService,
        ...workerProviders,
      ],
      exports: [EventsService, InstanceEventSink, WebhookEndpointService, WebhookHttpClient],
    };
  }
}
