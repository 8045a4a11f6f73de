import type { EventEnvelope } from '../webhooks/event-types';

/*
 * The connector seed's subject scheme (seeds/whatsapp-cloud-connector.md), for every provider:
 *   <p>.<slug>.in.webhook | in.message | in.message.<type> | in.status | in.error   (JetStream)
 *   <p>.<slug>.error                                                               (JetStream)
 *   <p>.<slug>.out.<action>                               (request/reply; never in the stream)
 *   switchboard.<p>.<slug>.<event>                        (client-webhook envelopes; JetStream)
 * `<p>` is the provider's subject token (`whatsapp` for whatsapp-official, as the seed has it).
 */

/** Provider key → subject token where they differ. */
const SUBJECT_TOKENS: Record<string, string> = {
  'whatsapp-official': 'whatsapp',
  'facebook-messenger': 'messenger',
};

/** The `<p>` token of a provider's subjects: `whatsapp` for `whatsapp-official`, `messenger` for `facebook-messenger`, else the key. */
export function subjectToken(provider: string): string {
  return SUBJECT_TOKENS[provider] ?? provider;
}

/** The provider key of a subject token among `providers`, or undefined. */
export function providerOfToken(token: string, providers: readonly string[]): string | undefined {
  return providers.find((p) => subjectToken(p) === token);
}

/** One message for JetStream: `msgId` goes out as `Nats-Msg-Id` (stable across redeliveries). */
export interface NatsOutMessage {
  subject: string;
  msgId: string;
  data: unknown;
}

/**
 * The stream's subjects: `in` and `error` of every provider and all `switchboard.>` envelopes;
 * never `out` (JetStream would answer the requests itself).
 */
export function streamSubjects(providers: readonly string[]): string[] {
  const tokens = [...new Set(providers.map(subjectToken))].sort();
  return [...tokens.flatMap((t) => [`${t}.*.in.>`, `${t}.*.error`]), 'switchboard.>'];
}

/** `switchboard.<p>.<slug>.<event>` with the webhook envelope; `Nats-Msg-Id` = `ev:<event id>`. */
export function eventMessage(provider: string, slug: string, envelope: EventEnvelope): NatsOutMessage {
  return {
    subject: `switchboard.${subjectToken(provider)}.${slug}.${envelope.event}`,
    msgId: `ev:${envelope.id}`,
    data: envelope,
  };
}

/** What {@link inboundMessages} needs of one archived provider event (`inbound_events`). */
export interface ArchivedInbound {
  /** inbound_events.id: the stable part of every `Nats-Msg-Id`. */
  id: string;
  provider: string;
  slug: string;
  /** The provider's object exactly as archived. */
  payload: Record<string, unknown>;
  /** `stored` or `skipped`. */
  outcome: string;
  skipReason: string | null;
  /** WhatsApp: the instance's WhatsApp Business Account id (the `entry[].id` of its webhooks), when configured. */
  wabaId?: string | null;
}

/**
 * The seed subjects of one archived provider event. `Nats-Msg-Id` = `in:<archive id>:<subject
 * suffix>[:<n>]`, so one event on `.in.message` and `.in.message.text` has two ids and a
 * redelivery repeats them. Malformed payloads (archived with `malformed_payload`) publish nothing.
 */
export function inboundMessages(item: ArchivedInbound): NatsOutMessage[] {
  if (item.skipReason?.startsWith('malformed_payload')) return [];
  const base = `${subjectToken(item.provider)}.${item.slug}.in`;
  const out: NatsOutMessage[] = [];
  const add = (suffix: string, data: unknown, n?: number) =>
    out.push({
      subject: `${base}.${suffix}`,
      msgId: `in:${item.id}:${suffix}${n === undefined ? '' : `:${n}`}`,
      data,
    });
  switch (item.provider) {
    case 'whatsapp-official':
      whatsapp(item, add);
      break;
    case 'telegram':
      telegram(item.payload, add);
      break;
    default:
      metaMessaging(item.payload, add);
  }
  return out;
}

type Add = (suffix: string, data: unknown, n?: number) => void;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isObject) : []);
/** A subject token from provider data: only `[A-Za-z0-9_-]` (no `.`, `*`, `>` or spaces). */
const token = (v: unknown): string | null =>
  typeof v === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(v) ? v : null;

/**
 * WhatsApp Cloud: the archive keeps each item as its change reduced to that item
 * (`{field, metadata, contacts, messages: [msg]}`, `{field, metadata, statuses: [st]}`, or
 * `{field, value}` for changes we do not model); `.in.webhook` is that change in Meta's webhook
 * envelope, `{object, entry: [{id, changes: [{value, field}]}]}` — the body as Meta sent it when
 * the body held one item. `.in.message[.<type>]` carry each `messages[]` object as received,
 * `.in.status` each `statuses[]` object, `.in.error` each `value.errors[]` object.
 */
function whatsapp(item: ArchivedInbound, add: Add): void {
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
  add('webhook', {
    object: 'whatsapp_business_account',
    entry: [{ ...(item.wabaId ? { id: item.wabaId } : {}), changes: [{ value, field }] }],
  });
  objects(value.messages).forEach((msg, i) => {
    add('message', msg, i || undefined);
    const type = token(msg.type);
    if (type) add(`message.${type}`, msg, i || undefined);
  });
  objects(value.statuses).forEach((st, i) => add('status', st, i || undefined));
  objects(value.errors).forEach((err, i) => add('error', err, i || undefined));
}

/** Telegram message kinds, in the order the first present one names `.in.message.<type>`. */
const TELEGRAM_TYPES = [
  'text',
  'photo',
  'video',
  'animation',
  'audio',
  'voice',
  'video_note',
  'document',
  'sticker',
  'location',
  'venue',
  'contact',
  'poll',
  'dice',
];

/**
 * Telegram: the archive keeps the Update; `.in.webhook` is the Update, `.in.message[.<type>]` its
 * `message` / `channel_post` / `business_message` object (edits and other update kinds: only
 * `.in.webhook`).
 */
function telegram(update: Record<string, unknown>, add: Add): void {
  add('webhook', update);
  const msg = [update.message, update.channel_post, update.business_message].find(isObject);
  if (!msg) return;
  add('message', msg);
  const type = TELEGRAM_TYPES.find((k) => msg[k] !== undefined);
  if (type) add(`message.${type}`, msg);
}

/**
 * Messenger / Instagram (and providers without a mapping of their own): the archive keeps each
 * `messaging[]` event; `.in.webhook` is that event, `.in.message[.<type>]` the event when it
 * carries a `message` (`text`, or the first attachment's type), `.in.status` a `delivery` /
 * `read` event.
 */
function metaMessaging(ev: Record<string, unknown>, add: Add): void {
  add('webhook', ev);
  if (isObject(ev.message)) {
    add('message', ev);
    const m = ev.message;
    const type = typeof m.text === 'string' ? 'text' : (token(objects(m.attachments)[0]?.type) ?? null);
    if (type) add(`message.${type}`, ev);
  } else if (isObject(ev.delivery) || isObject(ev.read)) {
    add('status', ev);
  }
}
