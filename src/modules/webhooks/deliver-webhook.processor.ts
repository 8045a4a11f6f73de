import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Job, UnrecoverableError } from 'bullmq';
import { DataSource } from 'typeorm';
import { SecretBox } from '../../common/crypto/secret-box';
import { seedsSignature, standardWebhooksSignature } from '../../common/crypto/webhook-signature';
import { WebhookHttpClient } from '../../common/http/webhook-http-client';
import { GatewayMetrics } from '../../common/metrics/gateway-metrics';
import { DeliverWebhookJob, QueueName } from '../../common/queues/queues';
import { AppConfig } from '../../config/app-config';
import { UsageService } from '../usage/usage.service';
import { toEnvelope } from './events.service';
import { parseRetryAfter, retryDelayMs } from './backoff';

/** Thrown for a retryable failed attempt; carries the delay the backoff strategy must use (ms). */
export class RetryableDeliveryError extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

const USER_AGENT = 'Switchboard-Webhooks/0.1 (+https://github.com/switchboard)';
/** Receiver errors worth retrying; other 4xx are retried too (the endpoint may be fixed), except these. */
const NOT_RETRYABLE = new Set(['blocked_address', 'invalid_url']);

interface DeliveryRow {
  id: string;
  status: string;
  attempts: number;
  url: string;
  event_id: string;
  event_type: string;
  event_payload: Record<string, unknown>;
  event_sequence: string;
  event_created_at: Date;
  instance_id: string;
  provider: string;
  webhook_enabled: boolean;
  webhook_secret_enc: string | null;
  webhook_headers: Record<string, string>;
  max_retries: number;
  retry_interval_ms: number;
}

/**
 * Delivers one event to one client URL per job (jobId = delivery id). Loads settings fresh
 * (the secret never sits in Redis), signs with both schemes, POSTs, records the attempt, and
 * throws so BullMQ retries with our backoff; exhausted or unretryable → `dead`.
 */
@Processor(QueueName.WebhookDelivery, {
  concurrency: 50,
  settings: {
    backoffStrategy: (_attemptsMade: number, _type?: string, err?: Error) =>
      err instanceof RetryableDeliveryError ? err.delayMs : 1000,
  },
})
export class DeliverWebhookProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(DeliverWebhookProcessor.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly http: WebhookHttpClient,
    private readonly secrets: SecretBox,
    private readonly config: AppConfig,
    private readonly usage: UsageService,
    private readonly metrics: GatewayMetrics,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.webhooks.concurrency;
  }

  async process(job: Job<DeliverWebhookJob>): Promise<void> {
    const [row]: DeliveryRow[] = await this.db.query(
      `SELECT d.id, d.status, d.attempts, d.url,
              e.id AS event_id, e.type AS event_type, e.payload AS event_payload,
              e.sequence AS event_sequence, e.created_at AS event_created_at,
              i.id AS instance_id, i.provider, i.webhook_enabled, i.webhook_secret_enc, i.webhook_headers,
              i.max_retries, i.retry_interval_ms
         FROM webhook_deliveries d
         JOIN events e ON e.id = d.event_id
         JOIN instances i ON i.id = d.instance_id
        WHERE d.id = $1`,
      [job.data.deliveryId],
    );
    if (!row || row.status === 'succeeded' || row.status === 'dead') return;
    const attempt = row.attempts + 1;

    if (!row.webhook_enabled) {
      await this.finish(
        row.id,
        attempt,
        'dead',
        null,
        'webhook_disabled',
        'webhook disabled before delivery',
        null,
        0,
        false,
      );
      throw new UnrecoverableError('webhook disabled');
    }

    const envelope = toEnvelope(
      {
        id: row.event_id,
        type: row.event_type,
        instanceId: row.instance_id,
        sequence: row.event_sequence,
        payload: row.event_payload,
        createdAt: row.event_created_at,
      },
      row.provider,
    );
    const body = JSON.stringify(envelope);
    const timestamp = Math.floor(Date.now() / 1000);
    const secret = this.secrets.decryptOptional(row.webhook_secret_enc);
    const headers: Record<string, string> = {
      ...row.webhook_headers,
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'x-webhook-event': envelope.event,
      'x-webhook-delivery': row.id,
      'webhook-id': envelope.id,
      'webhook-timestamp': String(timestamp),
    };
    if (secret) {
      headers['x-webhook-signature'] = seedsSignature(secret, body);
      headers['webhook-signature'] = standardWebhooksSignature(secret, envelope.id, timestamp, body);
    }

    const result = await this.http.post(row.url, body, headers);
    if (result.ok) {
      await this.finish(
        row.id,
        attempt,
        'succeeded',
        result.statusCode,
        null,
        null,
        result.snippet,
        result.durationMs,
        true,
      );
      this.usage.add(row.instance_id, { webhookSent: 1 });
      return;
    }

    const maxAttempts = row.max_retries + 1;
    const retryable = !NOT_RETRYABLE.has(result.error ?? '') && result.statusCode !== 410;
    const errorText = [result.error, result.errorDetail].filter(Boolean).join(': ');
    if (!retryable || attempt >= maxAttempts) {
      await this.finish(
        row.id,
        attempt,
        'dead',
        result.statusCode,
        result.error,
        errorText,
        result.snippet,
        result.durationMs,
        false,
      );
      throw new UnrecoverableError(`delivery ${row.id} dead after ${attempt} attempt(s): ${errorText}`);
    }
    const retryAfter = result.headers['retry-after'];
    const delayMs = retryDelayMs(
      attempt,
      row.retry_interval_ms,
      this.config.webhooks.maxRetryDelayMs,
      parseRetryAfter(retryAfter),
    );
    await this.finish(
      row.id,
      attempt,
      'failed',
      result.statusCode,
      result.error,
      errorText,
      result.snippet,
      result.durationMs,
      false,
      delayMs,
    );
    throw new RetryableDeliveryError(`attempt ${attempt} failed: ${errorText}`, delayMs);
  }

  /** Records the attempt and the delivery's new state. */
  private async finish(
    deliveryId: string,
    attempt: number,
    status: 'succeeded' | 'failed' | 'dead',
    statusCode: number | null,
    errorClass: string | null,
    errorText: string | null,
    snippet: string | null,
    durationMs: number,
    delivered: boolean,
    nextDelayMs?: number,
  ): Promise<void> {
    this.metrics.deliveries.inc({ outcome: status });
    if (durationMs > 0) this.metrics.deliveryDuration.observe({ outcome: status }, durationMs / 1000);
    // one statement: the attempt row and the delivery's new state commit together
    await this.db.query(
      `WITH attempt AS (
         INSERT INTO webhook_delivery_attempts (delivery_id, attempt, status_code, duration_ms, error, response_snippet)
         VALUES ($1, $3, $4, $8, $9, $10)
       )
       UPDATE webhook_deliveries
          SET status = $2, attempts = $3, last_status_code = $4, last_error = $5,
              delivered_at = CASE WHEN $6 THEN now() ELSE delivered_at END,
              next_attempt_at = CASE WHEN $7::int IS NULL THEN NULL ELSE now() + make_interval(secs => $7::int / 1000.0) END,
              updated_at = now()
        WHERE id = $1`,
      [
        deliveryId,
        status,
        attempt,
        statusCode,
        errorText,
        delivered,
        nextDelayMs ?? null,
        durationMs,
        errorClass,
        snippet,
      ],
    );
  }

  @OnWorkerEvent('error')
  onError(err: Error): void {
    this.logger.error({ err }, 'webhook worker error');
  }
}
