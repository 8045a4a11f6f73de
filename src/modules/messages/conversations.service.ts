import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { InstanceEntity } from '../instances/instance.entity';
import type { InboundMessage, InboundResult } from '../providers/normalized';
import { EventsService, PendingDelivery } from '../webhooks/events.service';

/** jsonb parameter: node-postgres would turn a JS array into a PostgreSQL array, so serialize explicitly. */
export const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

export interface IngestOutcome {
  /** The provider event was seen before (redelivery): nothing stored, nothing sent. */
  duplicate: boolean;
  stored: boolean;
  messageId?: string;
  skipReason?: string;
}

/**
 * Turns verified inbound provider events into rows (DESIGN.md §4 Receive): in one transaction,
 * archive the raw payload (its unique key dedupes redeliveries), upsert contact and chat,
 * insert or update the message, and write the `message_received` event with its delivery.
 * The provider is answered only after this commits; deliveries are enqueued after commit.
 */
@Injectable()
export class ConversationsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: EventsService,
  ) {}

  async ingest(
    instance: InstanceEntity,
    providerEventId: string,
    payload: object,
    result: InboundResult,
  ): Promise<IngestOutcome> {
    const { outcome, delivery } = await this.db.transaction(async (tx) => {
      const archived = await tx.query(
        `INSERT INTO inbound_events (provider, instance_id, provider_event_id, payload, outcome, skip_reason)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (provider, instance_id, provider_event_id) DO NOTHING RETURNING id`,
        [
          instance.provider,
          instance.id,
          providerEventId,
          json(payload),
          result.kind === 'skip' ? 'skipped' : 'stored',
          result.kind === 'skip' ? result.reason : null,
        ],
      );
      if (archived.length === 0) return { outcome: { duplicate: true, stored: false }, delivery: null };
      if (result.kind === 'skip')
        return { outcome: { duplicate: false, stored: false, skipReason: result.reason }, delivery: null };
      return this.storeInbound(tx, instance, result.message, payload);
    });
    await this.events.enqueue([delivery]);
    if (outcome.stored) void this.touchActivity(instance.id);
    return outcome;
  }

  private async storeInbound(
    tx: EntityManager,
    instance: InstanceEntity,
    m: InboundMessage,
    raw: object,
  ): Promise<{ outcome: IngestOutcome; delivery: PendingDelivery | null }> {
    const senderContactId = await this.upsertContact(tx, instance.id, {
      providerContactId: m.from.id,
      name: m.from.name ?? null,
      username: m.from.username ?? null,
      phone: m.from.phone ?? null,
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
                               reaction, reply_to, sender, status, raw, provider_timestamp, edited_at)
         VALUES ($1, $2, 'in', $3, $4, $5, $6, $7, $8, $9, $10, $11, 'received', $12, $13, $14)
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
        ],
      );
      if (rows.length === 0) return { outcome: { duplicate: true, stored: false }, delivery: null };
    }
    const messageId = rows[0].id;
    const recorded = await this.events.record(tx, instance, 'message_received', {
      instanceId: instance.id,
      messageId,
      providerMessageId: m.providerMessageId,
      chatId,
      providerChatId: m.chat.id,
      chat: m.chat,
      from: m.from,
      direction: 'in',
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
      timestamp: Math.floor(m.timestamp.getTime() / 1000),
      // the seeds' names
      fromMe: false,
      body: m.text ?? null,
      hasMedia: !!m.media,
      pushName: m.from.name ?? null,
    });
    return { outcome: { duplicate: false, stored: true, messageId }, delivery: recorded.delivery };
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
       ON CONFLICT (instance_id, provider_contact_id) DO UPDATE SET
         push_name = COALESCE(EXCLUDED.push_name, contacts.push_name),
         name = COALESCE(contacts.name, EXCLUDED.name),
         username = COALESCE(EXCLUDED.username, contacts.username),
         phone = COALESCE(EXCLUDED.phone, contacts.phone),
         last_activity_at = GREATEST(contacts.last_activity_at, EXCLUDED.last_activity_at),
         updated_at = now()
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
       ON CONFLICT (instance_id, provider_chat_id) DO UPDATE SET
         title = COALESCE(EXCLUDED.title, chats.title),
         contact_id = COALESCE(chats.contact_id, EXCLUDED.contact_id),
         last_message_at = GREATEST(chats.last_message_at, EXCLUDED.last_message_at),
         updated_at = now()
       RETURNING id`,
      [instanceId, providerChatId, type, title, contactId, at],
    );
    return row.id;
  }

  /** Coarse last-activity stamp, outside the ingest transaction so it never holds the instance row. */
  private async touchActivity(instanceId: string): Promise<void> {
    await this.db
      .query(
        `UPDATE instances SET last_activity_at = now()
          WHERE id = $1 AND (last_activity_at IS NULL OR last_activity_at < now() - interval '5 seconds')`,
        [instanceId],
      )
      .catch(() => undefined);
  }
}
