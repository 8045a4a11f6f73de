import { OnWorkerEvent } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import { GatewayWorkerHost } from '../../common/queues/gateway-worker-host';
import { DeliverWebhookJob } from '../../common/queues/queues';
import { AppConfig } from '../../config/app-config';
import { DELIVERY_WORKER_SETTINGS } from './delivery-backoff';
import { WebhookSenderService } from './webhook-sender.service';

/**
 * Worker options from configuration (concurrency; the job lock, which is also how soon a job of a
 * dead worker is taken over). WebhooksModule.register applies them with @Processor.
 */
export function deliveryWorkerOptions(config: AppConfig['webhooks']) {
  return {
    concurrency: config.concurrency,
    lockDuration: config.lockDurationMs,
    stalledInterval: config.lockDurationMs,
    settings: DELIVERY_WORKER_SETTINGS,
  };
}

/**
 * Delivers one event to one client URL per job (jobId = delivery id, or `<id>-r<n>` for a manual
 * retry series). WebhookSenderService does the attempt; it throws so BullMQ retries with our
 * backoff, or stops (`UnrecoverableError`) when the delivery is dead.
 */
@Injectable()
export class DeliverWebhookProcessor extends GatewayWorkerHost {
  protected readonly logger = new Logger(DeliverWebhookProcessor.name);

  constructor(private readonly sender: WebhookSenderService) {
    super();
  }

  process(job: Job<DeliverWebhookJob>): Promise<void> {
    return this.sender.process(job.data.deliveryId);
  }

  @OnWorkerEvent('error')
  onError(err: Error): void {
    this.onWorkerError(err);
  }
}
