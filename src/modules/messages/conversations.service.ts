import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { GatewayMetrics } from '../../common/metrics/gateway-metrics';
import { InstanceEntity } from '../instances-core/instance.entity';
import type { DeliveryStatus, InboundMessage, InboundResult, InboundStatus } from '../providers/normalized';
import type { InboundItem } from '../providers/provider-seams';
import { AppConfig } from '../../config/app-config';
import { toStorableString, toStorableText } from '../../common/validation/text';
import { UsageService } from '../usage/usage.service';
import { EventsService, PendingDelivery } from '../webhooks/events.service';
import { envelopeBytes, MESSAGE_REF_BYTES, payloadTooLarge } from '../webhooks/payload-size';
import { queryPrepared } from '../../database/prepared';

/** jsonb parameter: node-postgres would turn a JS array into a PostgreSQL array, so serialize explicitly. */
export const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

/** On conflict: fill blanks and refresh activity, never overwrite a known name with nothing. */
const CONTACT_UPSERT_SET = `push_name = COALESCE(EXCLUDED.push_name, contacts.push_name),
  name = COALESCE(contacts.name, EXCLUDED.name), username = COALESCE(EXCLUDED.username, contacts.username),
  phone = COALESCE(EXCLUDED.phone, contacts.phone),
  last_activity_at = GREATEST(contacts.last_activity_at, EXCLUDED.last_activity_at), updated_at = now()`;
/** Forward-only order of outbound statuses; `failed` may replace only `queued` / `sent`. */
const STATUS_RANK: Record<string, number> = { queued: 0, sent: 1, delivered: 2, read: 3, played: 4 };

/** Whether a message in status `from` may move to `to` (repeats and backward moves are ignored). */
export function statusAdvances(from: string, to: DeliveryStatus): boolean {
  if (from === 'failed' || !(from in STATUS_RANK)) return false;
  if (to === 'failed') return STATUS_RANK[from] <= STATUS_RANK.sent;
  return STATUS_RANK[to] > STATUS_RANK[from];
}

const CHAT_UPSERT_SET = `title = COALESCE(EXCLUDED.title, chats.title), contact_id = COALESCE(chats.contact_id, EXCLUDED.contact_id),
  last_message_at = GREATEST(chats.last_message_at, EXCLUDED.last_message_at), updated_at = now()`;

/**
 * A provider webhook request's body as archived in `inbound_requests` (issue 13: `.in.webhook` is
 * the whole payload as received): the raw bytes decoded as UTF-8 (text PostgreSQL cannot hold →
 * U+FFFD) and the SHA-256 (hex) of the raw bytes, the archive's dedupe key per (provider, instance).
 */
export interface InboundRequestBody {
  body: string;
  sha256: string;
}

/** {@link InboundRequestBody} of raw request bytes. */
export const inboundRequestBody = (raw: Buffer): InboundRequestBody => ({
  body: toStorableString(raw.toString('utf8')),
  sha256: createHash('sha256').update(raw).digest('hex'),
});

/**
 * How an item's archive row references its request: `id` of a request archived earlier in the
 * transaction, or `pending`, archived by the fast path's own statement; null: no request (connections).
 */
type RequestLink = { id: string | null; pending?: InboundRequestBody } | null;

/** What one item came to, with the deliveries to enqueue once its transaction commits. */
interface Ingested {
  outcome: IngestOutcome;
  deliveries: (PendingDelivery | null)[];
}

/** A new inbound message (not an edit, not our own echo): the one-statement fast path. */
const isNewMessage = (r: InboundResult): boolean =>
  r.kind === 'message' && !r.message.editedAt && !r.message.fromMe;

/** The item with provider text PostgreSQL cannot hold replaced by U+FFFD (toStorableText). */
const storable = (i: InboundItem): InboundItem => ({
  instance: i.instance,
  providerEventId: toStorableString(i.providerEventId),
  payload: toStorableText(i.payload),
  result: toStorableText(i.result),
});

/** The instance an inbound event was verified for. */
export interface InstanceRef {
  id: string;
  provider: string;
}

export interface IngestOutcome {
  /** The provider event was seen before (redelivery): nothing stored, nothing sent. */
  duplicate: boolean;
  stored: boolean;
  /** The instance was deleted meanwhile. */
  notFound?: boolean;
  messageId?: string;
  skipReason?: string;
}

/**
 * Turns verified inbound provider events into rows (DESIGN.md §4 Receive): in one transaction,
 * archive the raw payload (its unique key dedupes redeliveries), upsert contact and chat,
 * insert or update the message, and write the `message_received` event with its delivery.
 * The provider is answered only after this commits; deliveries are enqueued after commit.
 */
/** The ingest statement's one row (ConversationsService.ingestNew); ids null when nothing was written. */
interface IngestRow {
  found: number;
  archived_id: string | null;
  message_id: string | null;
  delivery_id: string | null;
  retry_interval_ms: number;
  max_retries: number;
}

@Injectable()
export class ConversationsService {
  private readonly touched = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: EventsService,
    private readonly config: AppConfig,
    private readonly usage: UsageService,
    private readonly metrics: GatewayMetrics,
  ) {}

  /**
   * @param instance the instance the provider event was verified for; when it no longer exists
   *   the outcome says `notFound` and nothing is stored.
   * Provider text PostgreSQL cannot hold (NUL, unpaired surrogates: a Telegram text of `"a\u0000b"`)
   * is stored with U+FFFD in its place, in the archive and in the rows alike (toStorableText).
   * A new inbound message takes the one-statement fast path (no transaction of its own).
   */
  async ingest(
    instance: InstanceRef,
    providerEventId: string,
    payload: object,
    result: InboundResult,
  ): Promise<IngestOutcome> {
    const item = storable({ instance, providerEventId, payload, result });
    const done = isNewMessage(item.result)
      ? await this.ingestIn(this.db.manager, item)
      : await this.db.transaction((tx) => this.ingestIn(tx, item));
    await this.events.enqueue(done.deliveries);
    this.afterCommit(item, done.outcome);
    return done.outcome;
  }

  /**
   * Every item of one provider request in ONE transaction (the provider is answered only after it
   * commits; a failure stores none of them), deliveries enqueued after commit. Outcomes are in the
   * order of `items`; a redelivered item inside the same batch is a duplicate. One new inbound
   * message takes the one-statement fast path of `ingest` (its request archived in that statement).
   * @param rawBody the request's body bytes (InboundHttpRequest.rawBody), when the items came with
   *   a webhook request: archived once per (provider, instance) the items address, in the same
   *   transaction (the fast path: the same statement), in `inbound_requests` (a redelivered body
   *   is not archived twice), and referenced by each item's `inbound_events.request_id`.
   */
  async ingestBatch(items: InboundItem[], rawBody?: Buffer): Promise<IngestOutcome[]> {
    if (items.length === 0) return [];
    const request = rawBody?.length ? inboundRequestBody(rawBody) : null;
    if (items.length === 1 && isNewMessage(items[0].result)) {
      const item = storable(items[0]);
      const done = await this.ingestIn(this.db.manager, item, request && { id: null, pending: request });
      await this.events.enqueue(done.deliveries);
      this.afterCommit(item, done.outcome);
      return [done.outcome];
    }
    const clean = items.map(storable);
    const done = await this.db.transaction(async (tx) => {
      const requestIds = new Map<string, string | null>();
      if (request) {
        for (const { instance } of clean) {
          const key = `${instance.provider}\n${instance.id}`;
          if (!requestIds.has(key)) requestIds.set(key, await this.archiveRequest(tx, instance, request));
        }
      }
      const out: Ingested[] = [];
      for (const item of clean) {
        const id = requestIds.get(`${item.instance.provider}\n${item.instance.id}`);
        out.push(await this.ingestIn(tx, item, id ? { id } : null));
      }
      return out;
    });
    await this.events.enqueue(done.flatMap((d) => d.deliveries));
    clean.forEach((item, i) => this.afterCommit(item, done[i].outcome));
    return done.map((d) => d.outcome);
  }

  /**
   * Archives a request body for one instance (ON CONFLICT DO NOTHING: a redelivery keeps the first).
   * @returns its inbound_requests.id, or null when the instance is gone.
   */
  private async archiveRequest(
    tx: EntityManager,
    instance: InstanceRef,
    request: InboundRequestBody,
  ): Promise<string | null> {
    const rows: { id: string }[] = await tx.query(
      `WITH ins AS (
         INSERT INTO inbound_requests (provider, instance_id, body, body_sha256)
         SELECT $1, id, $3, $4 FROM instances WHERE id = $2
         ON CONFLICT (provider, instance_id, body_sha256) DO NOTHING RETURNING id
       )
       SELECT id::text AS id FROM ins
       UNION ALL
       SELECT id::text FROM inbound_requests WHERE provider = $1 AND instance_id = $2 AND body_sha256 = $4
       LIMIT 1`,
      [instance.provider, instance.id, request.body, request.sha256],
    );
    return rows[0]?.id ?? null;
  }

  /** One item inside the caller's transaction (or, for the fast path, the data source's manager). */
  private async ingestIn(
    tx: EntityManager,
    item: InboundItem,
    request: RequestLink = null,
  ): Promise<Ingested> {
    const { instance, providerEventId, payload, result } = item;
    const requestId = request?.id ?? null;
    if (result.kind === 'status')
      return this.ingestStatus(tx, instance, providerEventId, payload, result.status, requestId);
    if (result.kind === 'message' && isNewMessage(result)) {
      const { outcome, delivery } = await this.ingestNew(
        tx,
        instance,
        providerEventId,
        payload,
        result.message,
        request,
      );
      return { outcome, deliveries: [delivery] };
    }
    const archived = await tx.query(
      `INSERT INTO inbound_events (provider, instance_id, provider_event_id, payload, outcome, skip_reason, request_id)
       SELECT $1, id, $3, $4, $5, $6, $7 FROM instances WHERE id = $2
       ON CONFLICT (provider, instance_id, provider_event_id) DO NOTHING RETURNING id`,
      [
        instance.provider,
        instance.id,
        providerEventId,
        json(payload),
        result.kind === 'skip' ? 'skipped' : 'stored',
        result.kind === 'skip' ? result.reason : null,
        requestId,
      ],
    );
    if (archived.length === 0) return { outcome: await this.unarchived(tx, instance.id), deliveries: [] };
    if (result.kind === 'skip')
      return { outcome: { duplicate: false, stored: false, skipReason: result.reason }, deliveries: [] };
    const entity = await tx.findOneByOrFail(InstanceEntity, { id: instance.id });
    const { outcome, delivery } = await this.storeInbound(tx, entity, result.message, payload);
    return { outcome, deliveries: [delivery] };
  }

  /** Archive insert hit its unique key: a redelivery, or the instance is gone. */
  private async unarchived(tx: EntityManager, instanceId: string): Promise<IngestOutcome> {
    const found = await tx.query('SELECT 1 FROM instances WHERE id = $1', [instanceId]);
    return found.length
      ? { duplicate: true, stored: false }
      : { duplicate: false, stored: false, notFound: true };
  }

  /** Activity stamp and usage counts of a committed item (statuses count nothing). */
  private afterCommit(item: InboundItem, outcome: IngestOutcome): void {
    const { result } = item;
    if (!outcome.stored || result.kind === 'status') return;
    this.touchActivity(item.instance.id);
    if (result.kind === 'message' && !result.message.editedAt)
      this.countReceived(item.instance, result.message);
  }

  /** In-memory usage counting (flushed in batches by UsageService) and metrics: no I/O on the ingest path. */
  private countReceived(instance: InstanceRef, m: InboundMessage): void {
    this.metrics.messages.inc({ provider: instance.provider, direction: 'in', type: m.type });
    this.usage.add(instance.id, {
      messagesReceived: 1,
      mediaReceived: m.media ? 1 : 0,
      totalMediaSize: m.media?.size ?? 0,
    });
  }

  /**
   * The hot path for a new inbound message: archive, contact(s), chat, message, event and
   * delivery in ONE statement (data-modifying CTEs run atomically), reading the instance's
   * webhook settings inside it. 2.5–3× the throughput of the same steps as separate statements
   * in one transaction (bench/run.ts); prepared (queryPrepared), so each connection plans it once.
   * Edits, skips and anything unusual take the transaction path.
   */
  private async ingestNew(
    tx: EntityManager,
    instance: InstanceRef,
    providerEventId: string,
    payload: object,
    m: InboundMessage,
    request: RequestLink,
  ): Promise<{ outcome: IngestOutcome; delivery: PendingDelivery | null }> {
    const groupContact = m.chat.type !== 'private' && m.chat.id !== m.from.id;
    const dataJson = JSON.stringify(this.receivedEventData(instance.id, m));
    // sized here, not in SQL: an oversized event still gets its row, with a dead delivery and no job
    const tooLarge = payloadTooLarge(
      envelopeBytes('message_received', instance.id, instance.provider, dataJson) + MESSAGE_REF_BYTES,
      this.config.webhooks.maxPayloadBytes,
    );
    const [row] = await queryPrepared<IngestRow>(
      tx,
      `WITH inst AS (
         SELECT id, webhook_url, webhook_enabled, notify_received, retry_interval_ms, max_retries FROM instances WHERE id = $1
       ), req AS (
         INSERT INTO inbound_requests (provider, instance_id, body, body_sha256)
         SELECT $2, id, $27, $28 FROM inst WHERE $27::text IS NOT NULL
         ON CONFLICT (provider, instance_id, body_sha256) DO NOTHING RETURNING id
       ), archived AS (
         INSERT INTO inbound_events (provider, instance_id, provider_event_id, payload, outcome, request_id)
         SELECT $2, id, $3, $4, 'stored', COALESCE($26::bigint, (SELECT id FROM req),
                (SELECT r.id FROM inbound_requests r
                  WHERE $28::text IS NOT NULL AND r.provider = $2 AND r.instance_id = $1 AND r.body_sha256 = $28))
           FROM inst
         ON CONFLICT (provider, instance_id, provider_event_id) DO NOTHING RETURNING id
       ), sender AS (
         INSERT INTO contacts (instance_id, provider_contact_id, name, push_name, username, phone, is_group, last_activity_at)
         SELECT $1, $5, $6, $6, $7, $8, false, $9 FROM archived
         ON CONFLICT (instance_id, provider_contact_id) DO UPDATE SET ${CONTACT_UPSERT_SET}
         RETURNING id
       ), grp AS (
         INSERT INTO contacts (instance_id, provider_contact_id, name, push_name, is_group, last_activity_at)
         SELECT $1, $10, $11, $11, true, $9 FROM archived WHERE $12::boolean
         ON CONFLICT (instance_id, provider_contact_id) DO UPDATE SET ${CONTACT_UPSERT_SET}
         RETURNING id
       ), chat AS (
         INSERT INTO chats (instance_id, provider_chat_id, type, title, contact_id, last_message_at)
         SELECT $1, $10, $13, $11, COALESCE((SELECT id FROM grp), (SELECT id FROM sender)), $9 FROM archived
         ON CONFLICT (instance_id, provider_chat_id) DO UPDATE SET ${CHAT_UPSERT_SET}
         RETURNING id
       ), msg AS (
         INSERT INTO messages (instance_id, chat_id, direction, provider_message_id, type, text, media, location, contacts,
                               reaction, reply_to, sender, status, raw, provider_timestamp, error)
         SELECT $1, chat.id, 'in', $14, $15, $16, $17, $18, $19, $20, $21, $22, 'received', $4, $9, $25 FROM chat
         ON CONFLICT (instance_id, provider_message_id) WHERE provider_message_id IS NOT NULL DO NOTHING
         RETURNING id, chat_id
       ), ev AS (
         INSERT INTO events (instance_id, type, payload)
         SELECT $1, 'message_received', $23::jsonb || jsonb_build_object('messageId', msg.id, 'chatId', msg.chat_id) FROM msg
         RETURNING id
       ), dl AS (
         INSERT INTO webhook_deliveries (event_id, instance_id, url, status, last_error)
         SELECT ev.id, $1, inst.webhook_url, CASE WHEN $24::text IS NULL THEN 'pending' ELSE 'dead' END, $24
           FROM ev, inst
          WHERE inst.webhook_enabled AND inst.webhook_url IS NOT NULL AND inst.notify_received
         RETURNING id
       )
       SELECT (SELECT count(*) FROM inst)::int AS found, (SELECT id FROM archived) AS archived_id,
              (SELECT id FROM msg) AS message_id, (SELECT id FROM dl) AS delivery_id,
              (SELECT retry_interval_ms FROM inst) AS retry_interval_ms, (SELECT max_retries FROM inst) AS max_retries`,
      [
        instance.id,
        instance.provider,
        providerEventId,
        json(payload),
        m.from.id,
        m.from.name ?? null,
        m.from.username ?? null,
        m.from.phone ?? null,
        m.timestamp,
        m.chat.id,
        m.chat.title ?? null,
        groupContact,
        m.chat.type,
        m.providerMessageId,
        m.type,
        m.text ?? null,
        json(m.media),
        json(m.location),
        json(m.contacts),
        json(m.reaction),
        m.replyTo ?? null,
        json(m.from),
        dataJson,
        tooLarge,
        json(m.error),
        request?.id ?? null,
        request?.pending?.body ?? null,
        request?.pending?.sha256 ?? null,
      ],
    );
    if (!row.found) return { outcome: { duplicate: false, stored: false, notFound: true }, delivery: null };
    if (!row.archived_id || !row.message_id)
      return { outcome: { duplicate: true, stored: false }, delivery: null };
    return {
      outcome: { duplicate: false, stored: true, messageId: row.message_id },
      delivery:
        row.delivery_id && !tooLarge
          ? {
              deliveryId: row.delivery_id,
              retryIntervalMs: row.retry_interval_ms,
              maxRetries: row.max_retries,
            }
          : null,
    };
  }

  private async storeInbound(
    tx: EntityManager,
    instance: InstanceEntity,
    m: InboundMessage,
    raw: object,
  ): Promise<{ outcome: IngestOutcome; delivery: PendingDelivery | null }> {
    // an echo's sender is our own account: the contact is the person the chat is with
    const senderContactId = await this.upsertContact(tx, instance.id, {
      providerContactId: m.fromMe ? m.chat.id : m.from.id,
      name: m.fromMe ? null : (m.from.name ?? null),
      username: m.fromMe ? null : (m.from.username ?? null),
      phone: m.fromMe ? null : (m.from.phone ?? null),
      isGroup: false,
      at: m.timestamp,
    });
    const chatContactId =
      m.chat.type === 'private'
        ? senderContactId
        : await this.upsertContact(tx, instance.id, {
            providerContactId: m.chat.id,
            name: m.chat.title ?? null,
            username: null,
            phone: null,
            isGroup: true,
            at: m.timestamp,
          });
    const chatId = await this.upsertChat(
      tx,
      instance.id,
      m.chat.id,
      m.chat.type,
      m.chat.title ?? null,
      chatContactId,
      m.timestamp,
    );

    const fields = [
      m.type,
      m.text ?? null,
      json(m.media),
      json(m.location),
      json(m.contacts),
      json(m.reaction),
    ];
    let rows: { id: string }[];
    if (m.editedAt) {
      rows = await tx.query(
        // wrapped in a CTE: TypeORM returns [rows, count] for a bare UPDATE, plain rows for a SELECT
        `WITH u AS (
           UPDATE messages SET type = $3, text = $4, media = $5, location = $6, contacts = $7, reaction = $8,
                  edited_at = $9, raw = $10, updated_at = now()
            WHERE instance_id = $1 AND provider_message_id = $2 RETURNING id
         ) SELECT id FROM u`,
        [instance.id, m.providerMessageId, ...fields, m.editedAt, json(raw)],
      );
    } else {
      rows = [];
    }
    if (rows.length === 0) {
      rows = await tx.query(
        `INSERT INTO messages (instance_id, chat_id, direction, provider_message_id, type, text, media, location, contacts,
                               reaction, reply_to, sender, status, raw, provider_timestamp, edited_at, error)
         VALUES ($1, $2, $16, $3, $4, $5, $6, $7, $8, $9, $10, $11, $17, $12, $13, $14, $15)
         ON CONFLICT (instance_id, provider_message_id) WHERE provider_message_id IS NOT NULL DO NOTHING
         RETURNING id`,
        [
          instance.id,
          chatId,
          m.providerMessageId,
          ...fields,
          m.replyTo ?? null,
          json(m.from),
          json(raw),
          m.timestamp,
          m.editedAt ?? null,
          json(m.error),
          m.fromMe ? 'out' : 'in',
          m.fromMe ? 'sent' : 'received',
        ],
      );
      if (rows.length === 0) return { outcome: { duplicate: true, stored: false }, delivery: null };
    }
    const messageId = rows[0].id;
    const recorded = await this.events.record(tx, instance, m.fromMe ? 'message_sent' : 'message_received', {
      ...this.receivedEventData(instance.id, m),
      messageId,
      chatId,
    });
    return { outcome: { duplicate: false, stored: true, messageId }, delivery: recorded.delivery };
  }

  /**
   * A delivery report about our outbound messages (WhatsApp `statuses[]`, Messenger watermarks):
   * archived under `providerEventId` (a repeated report is a duplicate), then every matching
   * outbound message whose status moves forward gets the new status, `status_updated_at` (and the
   * provider's error for `failed`) and one `message_status` event (filtered by notifyDelivery /
   * notifyRead). Backward moves (read → delivered) and reports about unknown messages change nothing.
   */
  private async ingestStatus(
    tx: EntityManager,
    instance: InstanceRef,
    providerEventId: string,
    payload: object,
    s: InboundStatus,
    requestId: string | null,
  ): Promise<Ingested> {
    const archived = await tx.query(
      `INSERT INTO inbound_events (provider, instance_id, provider_event_id, payload, outcome, request_id)
         SELECT $1, id, $3, $4, 'stored', $5 FROM instances WHERE id = $2
         ON CONFLICT (provider, instance_id, provider_event_id) DO NOTHING RETURNING id`,
      [instance.provider, instance.id, providerEventId, json(payload), requestId],
    );
    if (archived.length === 0) return { outcome: await this.unarchived(tx, instance.id), deliveries: [] };
    const targets: { id: string; chat_id: string; status: string; provider_message_id: string }[] =
      s.providerMessageId
        ? await tx.query(
            `SELECT id, chat_id, status, provider_message_id FROM messages
                WHERE instance_id = $1 AND provider_message_id = $2 AND direction = 'out' FOR UPDATE`,
            [instance.id, s.providerMessageId],
          )
        : await tx.query(
            `SELECT m.id, m.chat_id, m.status, m.provider_message_id FROM messages m
                 JOIN chats c ON c.id = m.chat_id
                WHERE m.instance_id = $1 AND c.provider_chat_id = $2 AND m.direction = 'out'
                  AND m.provider_timestamp <= $3 AND m.provider_message_id IS NOT NULL
                ORDER BY m.provider_timestamp FOR UPDATE OF m`,
            [instance.id, s.providerChatId, s.watermark],
          );
    const moving = targets.filter((t) => statusAdvances(t.status, s.status));
    if (moving.length === 0) {
      const reason = targets.length ? 'status_not_newer' : 'status_for_unknown_message';
      await tx.query(`UPDATE inbound_events SET outcome = 'skipped', skip_reason = $2 WHERE id = $1`, [
        archived[0].id,
        reason,
      ]);
      return { outcome: { duplicate: false, stored: false, skipReason: reason }, deliveries: [] };
    }
    const entity = await tx.findOneByOrFail(InstanceEntity, { id: instance.id });
    const error = s.status === 'failed' ? (s.error ?? { message: 'failed' }) : null;
    const out: (PendingDelivery | null)[] = [];
    for (const t of moving) {
      await tx.query(
        `UPDATE messages SET status = $2, status_updated_at = now(), updated_at = now(),
                  error = COALESCE($3::jsonb, error) WHERE id = $1`,
        [t.id, s.status, json(error)],
      );
      const recorded = await this.events.record(tx, entity, 'message_status', {
        instanceId: instance.id,
        messageId: t.id,
        chatId: t.chat_id,
        providerMessageId: t.provider_message_id,
        status: s.status,
        previousStatus: t.status,
        recipientId: s.recipientId ?? null,
        error,
        timestamp: Math.floor(s.timestamp.getTime() / 1000),
        ...(s.details ?? {}),
      });
      out.push(recorded.delivery);
    }
    return {
      outcome: { duplicate: false, stored: true, messageId: moving[0].id },
      deliveries: out,
    };
  }

  /** `message_received` data (messageId/chatId are added where the rows are written). */
  private receivedEventData(instanceId: string, m: InboundMessage): Record<string, unknown> {
    return {
      instanceId,
      providerMessageId: m.providerMessageId,
      providerChatId: m.chat.id,
      chat: m.chat,
      from: m.from,
      direction: m.fromMe ? 'out' : 'in',
      type: m.type,
      text: m.text ?? null,
      media: m.media ?? null,
      location: m.location ?? null,
      contacts: m.contacts ?? null,
      reaction: m.reaction ?? null,
      replyTo: m.replyTo ?? null,
      forwarded: m.forwarded ?? false,
      edited: !!m.editedAt,
      ...(m.unsupportedKind ? { unsupportedKind: m.unsupportedKind } : {}),
      ...(m.interactive ? { interactive: m.interactive } : {}),
      ...(m.error ? { error: m.error } : {}),
      timestamp: Math.floor(m.timestamp.getTime() / 1000),
      // the seeds' names
      fromMe: !!m.fromMe,
      body: m.text ?? null,
      hasMedia: !!m.media,
      pushName: m.from.name ?? null,
    };
  }

  /** Insert or refresh a contact; returns its id. Never overwrites a known name with nothing. */
  async upsertContact(
    tx: EntityManager,
    instanceId: string,
    c: {
      providerContactId: string;
      name: string | null;
      username: string | null;
      phone: string | null;
      isGroup: boolean;
      at: Date;
    },
  ): Promise<string> {
    const [row] = await tx.query(
      `INSERT INTO contacts (instance_id, provider_contact_id, name, push_name, username, phone, is_group, last_activity_at)
       VALUES ($1, $2, $3, $3, $4, $5, $6, $7)
       ON CONFLICT (instance_id, provider_contact_id) DO UPDATE SET ${CONTACT_UPSERT_SET}
       RETURNING id`,
      [instanceId, c.providerContactId, c.name, c.username, c.phone, c.isGroup, c.at],
    );
    return row.id;
  }

  async upsertChat(
    tx: EntityManager,
    instanceId: string,
    providerChatId: string,
    type: string,
    title: string | null,
    contactId: string | null,
    at: Date,
  ): Promise<string> {
    const [row] = await tx.query(
      `INSERT INTO chats (instance_id, provider_chat_id, type, title, contact_id, last_message_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (instance_id, provider_chat_id) DO UPDATE SET ${CHAT_UPSERT_SET}
       RETURNING id`,
      [instanceId, providerChatId, type, title, contactId, at],
    );
    return row.id;
  }

  /** Coarse last-activity stamp (at most every 5 s per instance and process), outside the ingest statement. */
  private touchActivity(instanceId: string): void {
    const now = Date.now();
    if (now - (this.touched.get(instanceId) ?? 0) < 5000) return;
    this.touched.set(instanceId, now);
    void this.db
      .query('UPDATE instances SET last_activity_at = now() WHERE id = $1', [instanceId])
      .catch(() => undefined);
  }
}
