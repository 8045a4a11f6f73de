import type { EntityManager } from 'typeorm';
import type { NatsAdd, NatsArchivedItem, NatsMapping } from '../nats-mapping';
import { natsObjects, natsToken } from '../nats-mapping';
import { isObject } from '../payload-shape';
import { WhatsappOfficialInstanceEntity } from './whatsapp-official-instance.entity';

/**
 * WhatsApp Cloud's NATS subjects: exactly the connector seed's (seeds/whatsapp-cloud-connector.md),
 * `whatsapp.<slug>.in.*`, with the seed's request bodies and Graph-response replies.
 *
 * The archive keeps each item as its change reduced to that item (`{field, metadata, contacts,
 * messages: [msg]}`, `{field, metadata, statuses: [st]}`, or `{field, value}` for changes we do not
 * model); `.in.webhook` is that change in Meta's webhook envelope, `{object, entry: [{id, changes:
 * [{value, field}]}]}` (`id`: the instance's `wabaId`, when configured) — the body as Meta sent it
 * when the body held one item. `.in.message[.<type>]` carry each `messages[]` object as received,
 * `.in.status` each `statuses[]` object, `.in.error` each `value.errors[]` object.
 * An item that came with a webhook request (every WhatsApp item: Cloud API has no connection) has
 * its `.in.webhook` dropped by the publisher, which publishes the request body as received instead
 * (`inbound_requests`, src/modules/nats/subjects.ts requestMessage).
 */
export const WHATSAPP_NATS: NatsMapping = {
  subjectToken: 'whatsapp',
  seedRequests: { markReadReply: { success: true } },

  /** `{wabaId}`: the instance's WhatsApp Business Account id (`entry[].id` of its webhooks), or null. */
  async archiveContext(manager: EntityManager, instanceId: string): Promise<Record<string, unknown>> {
    const row = await manager
      .getRepository(WhatsappOfficialInstanceEntity)
      .findOne({ where: { instanceId }, select: { instanceId: true, wabaId: true } });
    return { wabaId: row?.wabaId ?? null };
  },

  inboundMessages(item: NatsArchivedItem, add: NatsAdd): void {
    const p = item.payload;
    const field = typeof p.field === 'string' ? p.field : undefined;
    if (!field) return;
    let value: Record<string, unknown>;
    if (isObject(p.value)) {
      value = p.value;
    } else {
      value = { messaging_product: 'whatsapp' };
      for (const k of ['metadata', 'contacts', 'messages', 'statuses', 'message_echoes', 'errors']) {
        if (p[k] !== undefined) value[k] = p[k];
      }
    }
    const wabaId = item.context.wabaId;
    add('webhook', {
      object: 'whatsapp_business_account',
      entry: [
        { ...(typeof wabaId === 'string' && wabaId ? { id: wabaId } : {}), changes: [{ value, field }] },
      ],
    });
    natsObjects(value.messages).forEach((msg, i) => {
      add('message', msg, i || undefined);
      const type = natsToken(msg.type);
      if (type) add(`message.${type}`, msg, i || undefined);
    });
    natsObjects(value.statuses).forEach((st, i) => add('status', st, i || undefined));
    natsObjects(value.errors).forEach((err, i) => add('error', err, i || undefined));
  },
};
