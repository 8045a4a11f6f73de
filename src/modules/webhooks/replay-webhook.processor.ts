import { InjectQueue, OnWorkerEvent, Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { GatewayWorkerHost } from '../../common/queues/gateway-worker-host';
import { DeliverWebhookJob, QueueName } from '../../common/queues/queues';
import { DELIVERY_WORKER_SETTINGS } from './delivery-backoff';
import { WebhookSenderService } from './webhook-sender.service';

/**
 * Replayed deliveries, one at a time: concurrency 1 here and a global concurrency of 1 on the
 * queue (so several worker processes still take one job at a time), jobs added in `sequence`
 * order — a healthy endpoint receives a replay in order. A failed attempt waits for its retry
 * while later jobs proceed (ordering holds only for a healthy endpoint, as documented).
 */
@Processor(QueueName.WebhookReplay, { concurrency: 1, settings: DELIVERY_WORKER_SETTINGS })
export class ReplayWebhookProcessor extends GatewayWorkerHost {
  protected readonly logger = new Logger(ReplayWebhookProcessor.name);

  constructor(
    private readonly sender: WebhookSenderService,
    @InjectQueue(QueueName.WebhookReplay) private readonly queue: Queue<DeliverWebhookJob>,
  ) {
    super();
  }

  override async onApplicationBootstrap(): Promise<void> {
    super.onApplicationBootstrap();
    await this.queue
      .setGlobalConcurrency(1)
      .catch((err) => this.logger.warn({ err }, 'could not set the replay queue global concurrency'));
  }

  process(job: Job<DeliverWebhookJob>): Promise<void> {
    return this.sender.process(job.data.deliveryId);
  }

  @OnWorkerEvent('error')
  onError(err: Error): void {
    this.onWorkerError(err);
  }
}
