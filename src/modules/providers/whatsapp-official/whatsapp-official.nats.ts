import type { NatsAdd, NatsArchivedItem, NatsMapping } from '../nats-mapping';
import { natsObjects, natsToken } from '../nats-mapping';
import { isObject } from '../payload-shape';

/**
 * WhatsApp Cloud's NATS subjects: exactly the connector seed's (seeds/whatsapp-cloud-connector.md),
 * `whatsapp.<slug>.in.*`, with the seed's request bodies and Graph-response replies.
 *
 * The archive keeps each item as its change reduced to that item (`{field, metadata, contacts,
 * messages: [msg]}`, `{field, metadata, statuses: [st]}`, or `{field, value}` for changes we do not
 * model). `.in.message[.<type>]` carry each `messages[]` object as received, `.in.status` each
 * `statuses[]` object, `.in.error` each `value.errors[]` object. `.in.webhook` is not built per
 * item: every WhatsApp item comes with a webhook request (Cloud API has no connection), and the
 * publisher puts that request's body, as received, on `.in.webhook` (`inbound_requests`,
 * src/modules/nats/subjects.ts requestMessage).
 */
export const WHATSAPP_NATS: NatsMapping = {
  subjectToken: 'whatsapp',
  seedRequests: { markReadReply: { success: true } },

  inboundMessages(item: NatsArchivedItem, add: NatsAdd): void {
    const p = item.payload;
    if (typeof p.field !== 'string') return;
    const value: Record<string, unknown> = isObject(p.value) ? p.value : p;
    natsObjects(value.messages).forEach((msg, i) => {
      add('message', msg, i || undefined);
      const type = natsToken(msg.type);
      if (type) add(`message.${type}`, msg, i || undefined);
    });
    natsObjects(value.statuses).forEach((st, i) => add('status', st, i || undefined));
    natsObjects(value.errors).forEach((err, i) => add('error', err, i || undefined));
  },
};
