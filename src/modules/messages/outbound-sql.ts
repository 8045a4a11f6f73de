import type { DataSource, EntityManager } from 'typeorm';
import { queryPrepared } from '../../database/prepared';
import type { InstanceEntity } from '../instances-core/instance.entity';
import { notifyFlag, NOTIFY_COLUMNS } from '../webhooks/event-types';
import type { PendingDelivery } from '../webhooks/events.service';
import { envelopeBytes, payloadTooLarge } from '../webhooks/payload-size';
import { json } from './conversations.service';
import type { MessageEntity } from './message.entity';

/** Columns an outbound message is inserted with ({@link outboundParams} gives the values). */
export const OUTBOUND_COLUMNS = `id, instance_id, chat_id, direction, type, text, media, location, contacts, reaction,
  template, reply_to, status, error, idempotency_key, request_hash, provider_message_id, provider_timestamp, raw,
  status_updated_at`;
/** The VALUES tuple (without parentheses) for OUTBOUND_COLUMNS, its 18 parameters from `$base+1`. */
export function outboundValues(base = 0): string {
  const p = (i: number) => `$${base + i}`;
  const list = Array.from({ length: 18 }, (_, i) => p(i + 1));
  return `${list.slice(0, 3).join(', ')}, 'out', ${list.slice(3).join(', ')},
  CASE WHEN ${p(12)} = 'queued' THEN NULL ELSE now() END`;
}
export const OUTBOUND_VALUES = outboundValues();

/** Values for OUTBOUND_COLUMNS (jsonb serialized explicitly). */
export function outboundParams(m: MessageEntity): unknown[] {
  return [
    m.id,
    m.instanceId,
    m.chatId,
    m.type,
    m.text,
    json(m.media),
    json(m.location),
    json(m.contacts),
    json(m.reaction),
    json(m.template),
    m.replyTo,
    m.status,
    json(m.error),
    m.idempotencyKey,
    m.requestHash,
    m.providerMessageId,
    m.providerTimestamp,
    json(m.raw),
  ];
}

/** What the statement says of the event's delivery: its id and the instance's retry settings (null without one). */
interface DeliveryColumns {
  delivery_id: string | null;
  retry_interval_ms: number | null;
  max_retries: number | null;
}

/** The message row's timestamps as the statement wrote them. */
export interface WrittenTimes {
  created_at: Date;
  updated_at: Date;
  status_updated_at: Date | null;
}

/**
 * One statement (atomic: data-modifying CTEs) that writes a message row (`write`: an INSERT or
 * UPDATE `… RETURNING created_at, updated_at, status_updated_at`, its parameters `$1…$n`), the
 * event `type` with `data`, and — when the instance's webhook wants the event — its delivery, like
 * EventsService.record does in a transaction (an envelope over `maxPayloadBytes` gets a `dead`
 * delivery with `payload_too_large` and no job). Nothing is written when `write` matches no row.
 * The webhook settings (URL, enabled, notify flag, retry settings) are read from the instance row
 * by the statement itself, as it is when the event is written: `instance` only gives the id and
 * provider, so a copy read a moment earlier (InstancesService.getRecent) never sends an event to
 * a webhook changed since. It runs as a prepared statement (queryPrepared): its text only varies
 * with `write` and the event's notify flag.
 * @returns the row's times (null when `write` matched nothing) and the delivery to enqueue after commit.
 */
export async function writeMessageWithEvent(
  db: DataSource | EntityManager,
  maxPayloadBytes: number,
  instance: Pick<InstanceEntity, 'id' | 'provider'>,
  type: string,
  data: Record<string, unknown>,
  write: { sql: string; params: unknown[] },
): Promise<{ row: WrittenTimes | null; delivery: PendingDelivery | null }> {
  const flag = notifyFlag(type, data);
  const wanted = flag ? NOTIFY_COLUMNS[flag] : 'true';
  const dataJson = JSON.stringify(data);
  const tooLarge = payloadTooLarge(
    envelopeBytes(type, instance.id, instance.provider, dataJson),
    maxPayloadBytes,
  );
  const n = write.params.length;
  const [row] = await queryPrepared<WrittenTimes & DeliveryColumns>(
    db,
    `WITH msg AS (${write.sql}), inst AS (
       SELECT webhook_url, retry_interval_ms, max_retries FROM instances
        WHERE id = $${n + 1} AND webhook_enabled AND webhook_url IS NOT NULL AND ${wanted}
     ), ev AS (
       INSERT INTO events (instance_id, type, payload) SELECT $${n + 1}, $${n + 2}, $${n + 3} FROM msg RETURNING id
     ), dl AS (
       INSERT INTO webhook_deliveries (event_id, instance_id, url, status, last_error)
       SELECT ev.id, $${n + 1}, inst.webhook_url, CASE WHEN $${n + 4}::text IS NULL THEN 'pending' ELSE 'dead' END, $${n + 4}
         FROM ev, inst RETURNING id
     )
     SELECT msg.created_at, msg.updated_at, msg.status_updated_at, (SELECT id FROM dl) AS delivery_id,
            (SELECT retry_interval_ms FROM inst) AS retry_interval_ms, (SELECT max_retries FROM inst) AS max_retries
       FROM msg`,
    [...write.params, instance.id, type, dataJson, tooLarge],
  );
  if (!row) return { row: null, delivery: null };
  return {
    row,
    delivery:
      row.delivery_id && !tooLarge
        ? // a delivery was written, so the instance row was found: its settings are there
          {
            deliveryId: row.delivery_id,
            retryIntervalMs: row.retry_interval_ms!,
            maxRetries: row.max_retries!,
          }
        : null,
  };
}

/** Most chat ids kept per process (oldest dropped first). */
const CHAT_CACHE_SIZE = 20_000;

/**
 * Our chat id for a provider chat id, without locking the chat row: cached per process (chats are
 * only ever deleted with their instance), else looked up, else inserted with `ON CONFLICT DO
 * NOTHING` (no lock on an existing row, unlike the upsert's DO UPDATE) and looked up again if a
 * concurrent send inserted it first.
 */
export class ChatIds {
  private readonly cache = new Map<string, string>();

  constructor(private readonly db: DataSource) {}

  async resolve(instanceId: string, providerChatId: string): Promise<string> {
    const key = `${instanceId}\n${providerChatId}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const find = () =>
      this.db.query('SELECT id FROM chats WHERE instance_id = $1 AND provider_chat_id = $2', [
        instanceId,
        providerChatId,
      ]) as Promise<{ id: string }[]>;
    let [row] = await find();
    if (!row) {
      [row] = await this.db.query(
        `INSERT INTO chats (instance_id, provider_chat_id, type, last_message_at) VALUES ($1, $2, 'private', now())
         ON CONFLICT (instance_id, provider_chat_id) DO NOTHING RETURNING id`,
        [instanceId, providerChatId],
      );
      row ??= (await find())[0];
    }
    this.remember(key, row.id);
    return row.id;
  }

  /** Chat ids of several provider chats of one instance in at most three statements. @returns providerChatId → chat id */
  async resolveMany(instanceId: string, providerChatIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const missing = new Set<string>();
    for (const p of providerChatIds) {
      const cached = this.cache.get(`${instanceId}\n${p}`);
      if (cached) out.set(p, cached);
      else missing.add(p);
    }
    if (missing.size === 0) return out;
    const wanted = [...missing];
    const find = async () => {
      const rows: { id: string; provider_chat_id: string }[] = await this.db.query(
        'SELECT id, provider_chat_id FROM chats WHERE instance_id = $1 AND provider_chat_id = ANY($2::text[])',
        [instanceId, wanted],
      );
      for (const r of rows) {
        out.set(r.provider_chat_id, r.id);
        this.remember(`${instanceId}\n${r.provider_chat_id}`, r.id);
      }
    };
    await find();
    if (wanted.some((p) => !out.has(p))) {
      await this.db.query(
        `INSERT INTO chats (instance_id, provider_chat_id, type, last_message_at)
         SELECT $1, p, 'private', now() FROM unnest($2::text[]) AS p
         ON CONFLICT (instance_id, provider_chat_id) DO NOTHING`,
        [instanceId, wanted.filter((p) => !out.has(p))],
      );
      await find();
    }
    return out;
  }

  private remember(key: string, id: string): void {
    if (this.cache.size >= CHAT_CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, id);
  }
}
