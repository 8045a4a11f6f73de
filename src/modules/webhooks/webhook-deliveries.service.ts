import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isAdmin, Principal } from '../../common/auth/principal';
import { ConflictError, NotFoundError, UnprocessableError } from '../../common/errors/app-error';
import type { InstanceEntity } from '../instances-core/instance.entity';
import { toEnvelope } from './events.service';
import { EventsService } from './events.service';
import type {
  AttemptViewDto,
  DeliveriesQuery,
  DeliveryDetailDto,
  DeliveryListDto,
  DeliveryViewDto,
  ReplayDto,
  ReplayResultDto,
  WebhookTestResultDto,
} from './webhook-deliveries.dto';
import type { DeliveryStatus } from './webhook-delivery.entity';
import { WebhookSenderService } from './webhook-sender.service';
import { isUUID } from 'class-validator';

/** Most events one replay call queues; more → `truncated: true`. */
const REPLAY_CAP = 10_000;

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  event_sequence: string;
  instance_id: string;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  series: number;
  ordered: boolean;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const DELIVERY_COLUMNS = `d.id, d.event_id, e.type AS event_type, e.sequence AS event_sequence, d.instance_id, d.url,
  d.status, d.attempts, d.series, d.ordered, d.next_attempt_at, d.last_status_code, d.last_error, d.delivered_at,
  d.created_at, d.updated_at`;

const toView = (r: DeliveryRow): DeliveryViewDto => ({
  id: r.id,
  eventId: r.event_id,
  event: r.event_type,
  sequence: Number(r.event_sequence),
  instanceId: r.instance_id,
  url: r.url,
  status: r.status,
  attempts: r.attempts,
  series: r.series,
  replay: r.ordered,
  nextAttemptAt: r.next_attempt_at,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  deliveredAt: r.delivered_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * The delivery log and the actions on it (issue 3 § Delivery log API): list and inspect
 * deliveries with every attempt, resend one (a new attempt series, same `webhook-id`), replay a
 * range of events in `sequence` order, and send a signed `webhook_test` event synchronously.
 * Instance-level methods take an instance already loaded with findOwnedInstance; delivery-level
 * ones take the principal and answer 404 for someone else's delivery.
 */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: EventsService,
    private readonly sender: WebhookSenderService,
  ) {}

  /** Newest first, filtered by status, event type and creation time. */
  async list(instance: InstanceEntity, q: DeliveriesQuery): Promise<DeliveryListDto> {
    const limit = q.limit ?? 100;
    const skip = q.skip ?? 0;
    const where = `d.instance_id = $1 AND ($2::text IS NULL OR d.status = $2) AND ($3::text IS NULL OR e.type = $3)
      AND ($4::timestamptz IS NULL OR d.created_at >= $4) AND ($5::timestamptz IS NULL OR d.created_at <= $5)`;
    const params = [instance.id, q.status ?? null, q.event ?? null, q.since ?? null, q.until ?? null];
    const [rows, [{ total }]] = await Promise.all([
      this.db.query(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
          WHERE ${where} ORDER BY d.created_at DESC, d.id LIMIT $6 OFFSET $7`,
        [...params, limit, skip],
      ) as Promise<DeliveryRow[]>,
      this.db.query(
        `SELECT count(*)::int AS total FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE ${where}`,
        params,
      ) as Promise<{ total: number }[]>,
    ]);
    return {
      deliveries: rows.map(toView),
      pagination: { total, limit, skip, hasMore: skip + rows.length < total },
    };
  }

  /** The delivery, its envelope and every attempt. @throws NotFoundError */
  async detail(principal: Principal, id: string): Promise<DeliveryDetailDto> {
    const row = await this.findOwned(principal, id);
    const [[event], attempts] = await Promise.all([
      this.db.query(
        `SELECT e.id, e.type, e.instance_id AS "instanceId", e.sequence, e.payload, e.created_at AS "createdAt",
                i.provider
           FROM events e JOIN instances i ON i.id = e.instance_id WHERE e.id = $1`,
        [row.event_id],
      ),
      this.db.query(
        `SELECT attempt, status_code AS "statusCode", duration_ms AS "durationMs", error,
                response_snippet AS "responseSnippet", created_at AS "createdAt"
           FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY attempt, id`,
        [row.id],
      ) as Promise<AttemptViewDto[]>,
    ]);
    return { delivery: toView(row), envelope: toEnvelope(event, event.provider), attempts };
  }

  /**
   * Sends a finished (`succeeded` or `dead`) delivery again: a new attempt series with the full
   * retry budget, to the instance's current URL, same `webhook-id`; attempt numbers continue.
   * @throws NotFoundError; ConflictError `delivery_in_progress` while pending/failed;
   *   UnprocessableError `webhook_disabled` when the webhook is off or has no URL.
   */
  async retry(principal: Principal, id: string): Promise<DeliveryViewDto> {
    const row = await this.findOwned(principal, id);
    if (row.status === 'pending' || row.status === 'failed') {
      throw new ConflictError(
        'delivery_in_progress',
        `Delivery ${id} is ${row.status}: its current series is still running`,
      );
    }
    const [updated]: { id: string; series: number; retry_interval_ms: number; max_retries: number }[] =
      await this.db.query(
        `WITH u AS (
           UPDATE webhook_deliveries d
              SET status = 'pending', series = d.series + 1, series_start_attempt = d.attempts,
                  next_attempt_at = NULL, url = i.webhook_url, updated_at = now()
             FROM instances i
            WHERE d.id = $1 AND i.id = d.instance_id AND d.status IN ('succeeded', 'dead')
              AND i.webhook_enabled AND i.webhook_url IS NOT NULL
           RETURNING d.id, d.series, i.retry_interval_ms, i.max_retries
         ) SELECT * FROM u`,
        [row.id],
      );
    if (!updated) {
      const [now]: { status: string }[] = await this.db.query(
        'SELECT status FROM webhook_deliveries WHERE id = $1',
        [row.id],
      );
      if (now && (now.status === 'pending' || now.status === 'failed')) {
        throw new ConflictError('delivery_in_progress', `Delivery ${id} is ${now.status}`);
      }
      throw webhookOff(row.instance_id);
    }
    await this.events.enqueue([
      {
        deliveryId: updated.id,
        retryIntervalMs: updated.retry_interval_ms,
        maxRetries: updated.max_retries,
        series: updated.series,
        // the same queue the sweeper would use, so its re-add of this job id is a no-op
        ordered: row.ordered,
      },
    ]);
    return toView((await this.findOwned(principal, id))!);
  }

  /**
   * New deliveries (same `webhook-id` per event) for every event of the instance recorded in
   * [since, until] — optionally only those whose latest delivery has `status` — queued in
   * `sequence` order on the one-at-a-time replay queue.
   * @throws UnprocessableError `webhook_disabled` when the webhook is off or has no URL.
   */
  async replay(instance: InstanceEntity, dto: ReplayDto): Promise<ReplayResultDto> {
    if (!instance.webhookEnabled || !instance.webhookUrl) throw webhookOff(instance.id);
    const rows: { id: string; matched: number }[] = await this.db.query(
      `WITH picked AS (
         SELECT e.id, e.sequence FROM events e
          WHERE e.instance_id = $1 AND e.created_at >= $2 AND e.created_at <= $3
            AND ($4::text IS NULL OR (SELECT d.status FROM webhook_deliveries d WHERE d.event_id = e.id
                                       ORDER BY d.created_at DESC, d.id DESC LIMIT 1) = $4)
          ORDER BY e.sequence LIMIT $6 + 1
       ), ins AS (
         INSERT INTO webhook_deliveries (event_id, instance_id, url, ordered)
         SELECT id, $1, $5, true FROM (SELECT id, sequence FROM picked ORDER BY sequence LIMIT $6) p
         RETURNING id, event_id
       )
       SELECT ins.id, (SELECT count(*)::int FROM picked) AS matched
         FROM ins JOIN picked ON picked.id = ins.event_id ORDER BY picked.sequence`,
      [instance.id, dto.since, dto.until ?? new Date(), dto.status ?? null, instance.webhookUrl, REPLAY_CAP],
    );
    await this.events.enqueue(
      rows.map((r) => ({
        deliveryId: r.id,
        retryIntervalMs: instance.retryIntervalMs,
        maxRetries: instance.maxRetries,
        ordered: true,
      })),
    );
    return {
      replayed: rows.length,
      deliveryIds: rows.map((r) => r.id),
      truncated: (rows[0]?.matched ?? 0) > REPLAY_CAP,
    };
  }

  /**
   * Records a `webhook_test` event with its delivery and makes one attempt now (even while the
   * webhook is disabled, so an endpoint can be checked before re-enabling; no retries).
   * @throws UnprocessableError `webhook_not_configured` when the instance has no webhook URL.
   */
  async test(instance: InstanceEntity): Promise<WebhookTestResultDto> {
    if (!instance.webhookUrl) {
      throw new UnprocessableError('webhook_not_configured', `Instance ${instance.id} has no webhookUrl`);
    }
    const [row]: { event_id: string; delivery_id: string }[] = await this.db.query(
      `WITH e AS (
         INSERT INTO events (instance_id, type, payload) VALUES ($1, 'webhook_test', $2) RETURNING id
       ), d AS (
         INSERT INTO webhook_deliveries (event_id, instance_id, url) SELECT e.id, $1, $3 FROM e RETURNING id
       )
       SELECT (SELECT id FROM e) AS event_id, (SELECT id FROM d) AS delivery_id`,
      [
        instance.id,
        JSON.stringify({
          instanceId: instance.id,
          test: true,
          message: 'Test event from Switchboard',
          timestamp: new Date().toISOString(),
        }),
        instance.webhookUrl,
      ],
    );
    const outcome = await this.sender.attempt(row.delivery_id, { single: true, evenIfDisabled: true });
    return {
      delivered: outcome.status === 'succeeded',
      statusCode: outcome.attempt?.statusCode ?? null,
      durationMs: outcome.attempt?.durationMs ?? 0,
      error: outcome.errorText,
      responseSnippet: outcome.attempt?.snippet ?? null,
      deliveryId: row.delivery_id,
      eventId: row.event_id,
    };
  }

  /** A delivery of the caller's instances (admins: any). @throws NotFoundError */
  private async findOwned(principal: Principal, id: string): Promise<DeliveryRow> {
    if (!isUUID(id)) throw new NotFoundError('Webhook delivery', id);
    const [row]: DeliveryRow[] = await this.db.query(
      `SELECT ${DELIVERY_COLUMNS}
         FROM webhook_deliveries d JOIN events e ON e.id = d.event_id JOIN instances i ON i.id = d.instance_id
        WHERE d.id = $1 AND ($2::uuid IS NULL OR i.user_id = $2)`,
      [id, isAdmin(principal) ? null : principal.userId],
    );
    if (!row) throw new NotFoundError('Webhook delivery', id);
    return row;
  }
}

function webhookOff(instanceId: string): UnprocessableError {
  return new UnprocessableError(
    'webhook_disabled',
    `The webhook of instance ${instanceId} is disabled or has no URL: enable it with PUT /api/instances/${instanceId} first`,
  );
}
