import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { UnrecoverableError } from 'bullmq';
import { DataSource } from 'typeorm';
import { SecretBox } from '../../common/crypto/secret-box';
import { seedsSignature } from '../../common/crypto/webhook-signature';
import { HttpAttemptResult, WebhookHttpClient } from '../../common/http/webhook-http-client';
import { AppConfig } from '../../config/app-config';
import { parseRetryAfter, retryDelayMs } from './backoff';
import { toEnvelope } from './events.service';
import { payloadTooLarge } from './payload-size';
import { RetryableDeliveryError } from './retryable-delivery.error';
import { webhookSignatureHeader } from './signature-header';
import { WebhookEndpointService } from './webhook-endpoint.service';
import { MicroBatcher } from '../../common/batching/micro-batcher';
import { queryPrepared } from '../../database/prepared';
import { GatewayMetrics } from '../../common/metrics/gateway-metrics';
import { UsageService } from '../usage/usage.service';

const USER_AGENT = 'Switchboard-Webhooks/0.1 (+https://github.com/switchboard)';
/** Failures never worth retrying; other 4xx are retried (the endpoint may be fixed). 410 disables the webhook. */
const NOT_RETRYABLE = new Set(['blocked_address', 'invalid_url', 'payload_too_large']);

interface DeliveryRow {
  id: string;
  status: string;
  attempts: number;
  series_start_attempt: number;
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
  /** Only while its grace lasts. */
  previous_secret_enc: string | null;
  webhook_failing_since: Date | null;
  webhook_headers: Record<string, string>;
  max_retries: number;
  retry_interval_ms: number;
}

/** What one attempt did. `attempt` is absent when nothing was sent. */
export interface AttemptOutcome {
  status: 'skipped' | 'succeeded' | 'failed' | 'dead';
  /** Error class + detail, e.g. `http_500`, `redirect: redirect to … not followed`. */
  errorText: string | null;
  /** ms until the next attempt, when status is `failed`. */
  retryInMs?: number;
  attempt?: HttpAttemptResult;
}

/**
 * Makes one delivery attempt (DESIGN.md §4 Deliver) and records it: loads the delivery with the
 * instance's settings (secrets never sit in Redis), signs with both schemes — during a secret
 * rotation's grace `webhook-signature` carries `v1,<new> v1,<old>` — POSTs, then writes the
 * attempt row and the delivery's new state in one statement and updates endpoint health.
 * The retry budget (maxRetries) counts attempts of the current series; numbering runs on across
 * series. 410 Gone and sustained failure disable the webhook (WebhookEndpointService).
 */
interface FinishInput {
  deliveryId: string;
  attempt: number;
  status: 'succeeded' | 'failed' | 'dead';
  statusCode: number | null;
  errorClass: string | null;
  errorText: string | null;
  snippet: string | null;
  durationMs: number;
  delivered: boolean;
  nextDelayMs: number | null;
}

@Injectable()
export class WebhookSenderService {
  /** Concurrent jobs share one row-load query and one attempt-recording statement per batch (both prepared). */
  private readonly loader = new MicroBatcher<string, DeliveryRow | undefined>((ids) => this.load(ids));
  private readonly recorder = new MicroBatcher<FinishInput, void>((items) => this.record(items));

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly http: WebhookHttpClient,
    private readonly secrets: SecretBox,
    private readonly endpoint: WebhookEndpointService,
    private readonly config: AppConfig,
    private readonly usage: UsageService,
    private readonly metrics: GatewayMetrics,
  ) {}

  /**
   * The BullMQ side: returns on success (or when there is nothing to do), throws
   * RetryableDeliveryError (backoff delay inside) or UnrecoverableError (dead).
   */
  async process(deliveryId: string): Promise<void> {
    const outcome = await this.attempt(deliveryId);
    if (outcome.status === 'failed') {
      throw new RetryableDeliveryError(
        `delivery ${deliveryId}: ${outcome.errorText}`,
        outcome.retryInMs ?? 1000,
      );
    }
    if (outcome.status === 'dead') {
      throw new UnrecoverableError(`delivery ${deliveryId} dead: ${outcome.errorText}`);
    }
  }

  /**
   * @param opts.single no retries: a failed attempt makes the delivery dead (webhook/test).
   * @param opts.evenIfDisabled send although the webhook is disabled (webhook/test).
   */
  async attempt(
    deliveryId: string,
    opts: { single?: boolean; evenIfDisabled?: boolean } = {},
  ): Promise<AttemptOutcome> {
    const row = await this.loader.add(deliveryId);
    if (!row || row.status === 'succeeded' || row.status === 'dead')
      return { status: 'skipped', errorText: null };
    return this.attemptRow(row, opts);
  }

  /** Loads many deliveries (with event and instance settings) in one prepared query; `undefined` for unknown ids. */
  private async load(ids: string[]): Promise<(DeliveryRow | undefined)[]> {
    const rows = await queryPrepared<DeliveryRow>(
      this.db,
      `SELECT d.id, d.status, d.attempts, d.series_start_attempt, d.url,
              e.id AS event_id, e.type AS event_type, e.payload AS event_payload,
              e.sequence AS event_sequence, e.created_at AS event_created_at,
              i.id AS instance_id, i.provider, i.webhook_enabled, i.webhook_secret_enc,
              CASE WHEN i.webhook_previous_secret_expires_at > now() THEN i.webhook_previous_secret_enc END
                AS previous_secret_enc,
              i.webhook_failing_since, i.webhook_headers, i.max_retries, i.retry_interval_ms
         FROM webhook_deliveries d
         JOIN events e ON e.id = d.event_id
         JOIN instances i ON i.id = d.instance_id
        WHERE d.id = ANY($1::uuid[])`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id));
  }

  private async attemptRow(
    row: DeliveryRow,
    opts: { single?: boolean; evenIfDisabled?: boolean },
  ): Promise<AttemptOutcome> {
    const attempt = row.attempts + 1;

    if (!row.webhook_enabled && !opts.evenIfDisabled) {
      const errorText = 'webhook_disabled: webhook disabled before delivery';
      await this.finish(row.id, attempt, 'dead', null, 'webhook_disabled', errorText, null, 0, false);
      return { status: 'dead', errorText };
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
    const tooLarge = payloadTooLarge(Buffer.byteLength(body), this.config.webhooks.maxPayloadBytes);
    if (tooLarge) {
      await this.finish(row.id, attempt, 'dead', null, 'payload_too_large', tooLarge, null, 0, false);
      return { status: 'dead', errorText: tooLarge };
    }
    const result = await this.http.post(row.url, body, this.headers(row, envelope.id, envelope.event, body));

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
      if (row.webhook_failing_since) await this.endpoint.recordSuccess(row.instance_id);
      return { status: 'succeeded', errorText: null, attempt: result };
    }

    const errorText = [result.error, result.errorDetail].filter(Boolean).join(': ');
    const gone = result.statusCode === 410;
    const disabled = gone
      ? await this.endpoint.disable(row.instance_id, 'gone_410', { deliveryId: row.id, statusCode: 410 })
      : await this.endpoint.recordFailure(row.instance_id, row.webhook_failing_since);
    const seriesAttempt = attempt - row.series_start_attempt;
    const retryable = !NOT_RETRYABLE.has(result.error ?? '') && !gone && !disabled && !opts.single;
    if (!retryable || seriesAttempt >= row.max_retries + 1) {
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
      return { status: 'dead', errorText, attempt: result };
    }
    const delayMs = retryDelayMs(
      seriesAttempt,
      row.retry_interval_ms,
      this.config.webhooks.maxRetryDelayMs,
      parseRetryAfter(result.headers['retry-after']),
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
    return { status: 'failed', errorText, retryInMs: delayMs, attempt: result };
  }

  /** Delivery headers; both secrets sign the Standard Webhooks header while a rotation's grace lasts. */
  private headers(row: DeliveryRow, webhookId: string, event: string, body: string): Record<string, string> {
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      ...row.webhook_headers,
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'x-webhook-event': event,
      'x-webhook-delivery': row.id,
      'webhook-id': webhookId,
      'webhook-timestamp': String(timestamp),
    };
    const secret = this.secrets.decryptOptional(row.webhook_secret_enc);
    if (secret) {
      const previous = this.secrets.decryptOptional(row.previous_secret_enc);
      headers['x-webhook-signature'] = seedsSignature(secret, body);
      headers['webhook-signature'] = webhookSignatureHeader([secret, previous], webhookId, timestamp, body);
    }
    return headers;
  }

  /** Records the attempt and the delivery's new state (batched with concurrent deliveries). */
  private finish(
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
    return this.recorder.add({
      deliveryId,
      attempt,
      status,
      statusCode,
      errorClass,
      errorText,
      snippet,
      durationMs,
      delivered,
      nextDelayMs: nextDelayMs ?? null,
    });
  }

  /** One statement for a batch: every attempt row and every delivery's new state commit together. */
  private async record(items: FinishInput[]): Promise<void[]> {
    const col = <K extends keyof FinishInput>(k: K) => items.map((i) => i[k]);
    await queryPrepared(
      this.db,
      `WITH v AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::text[], $6::text[], $7::text[],
                              $8::int[], $9::boolean[], $10::int[])
           AS v(id, status, attempt, status_code, error_class, error_text, snippet, duration_ms, delivered, delay_ms)
       ), attempt AS (
         INSERT INTO webhook_delivery_attempts (delivery_id, attempt, status_code, duration_ms, error, response_snippet)
         SELECT id, attempt, status_code, duration_ms, error_class, snippet FROM v
       )
       UPDATE webhook_deliveries d
          SET status = v.status, attempts = v.attempt, last_status_code = v.status_code, last_error = v.error_text,
              delivered_at = CASE WHEN v.delivered THEN now() ELSE d.delivered_at END,
              next_attempt_at = CASE WHEN v.delay_ms IS NULL THEN NULL ELSE now() + make_interval(secs => v.delay_ms / 1000.0) END,
              updated_at = now()
         FROM v WHERE d.id = v.id`,
      [
        col('deliveryId'),
        col('status'),
        col('attempt'),
        col('statusCode'),
        col('errorClass'),
        col('errorText'),
        col('snippet'),
        col('durationMs'),
        col('delivered'),
        col('nextDelayMs'),
      ],
    );
    return items.map(() => undefined);
  }
}
