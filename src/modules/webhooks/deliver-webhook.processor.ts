import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job } from 'bullmq';
import { DeliverWebhookJob, QueueName } from '../../common/queues/queues';
import { AppConfig } from '../../config/app-config';
import { DELIVERY_WORKER_SETTINGS } from './delivery-backoff';
import { WebhookSenderService } from './webhook-sender.service';

/**
 * Delivers one event to one client URL per job (jobId = delivery id, or `<id>-r<n>` for a manual
 * retry series). WebhookSenderService does the attempt; it throws so BullMQ retries with our
 * backoff, or stops (`UnrecoverableError`) when the delivery is dead.
 */
@Processor(QueueName.WebhookDelivery, { concurrency: 50, settings: DELIVERY_WORKER_SETTINGS })
export class DeliverWebhookProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(DeliverWebhookProcessor.name);

  constructor(
    private readonly sender: WebhookSenderService,
    private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.webhooks.concurrency;
  }

  process(job: Job<DeliverWebhookJob>): Promise<void> {
    return this.sender.process(job.data.deliveryId);
  }

  @OnWorkerEvent('error')
  onError(err: Error): void {
    this.logger.error({ err }, 'webhook worker error');
  }
}
