import { createHash } from 'node:crypto';
import type {
  ContactCard,
  DeliveryStatus,
  InboundError,
  InboundMedia,
  InboundMessage,
  InboundResult,
} from '../normalized';
import { DELIVERY_STATUSES } from '../normalized';
import { toContactCard, vCardToContactCard } from '../vcard';
import {
  anyObject,
  array,
  bool,
  id,
  isObject,
  malformedItem,
  MAX_EPOCH_MS,
  num,
  object,
  Schema,
  shapeCheck,
  str,
  token,
} from '../payload-shape';

export const WHATSAPP_OFFICIAL = 'whatsapp-official';

/**
 * WhatsApp Cloud API webhook shapes (PROVIDERS.md §2.3; Meta: whatsapp/webhooks/reference/messages).
 * Only the fields we read; everything else is kept in the archived payload.
 */
export interface WaWebhook {
  object?: string;
  entry?: WaEntry[];
}
export interface WaEntry {
  /** WhatsApp Business Account id. */
  id?: string;
  changes?: WaChange[];
}
export interface WaChange {
  field?: string;
  value?: WaValue;
}
export interface WaValue {
  messaging_product?: string;
  metadata?: { display_phone_number?: string; phone_number_id?: string };
  contacts?: WaContact[];
  messages?: WaMessage[];
  statuses?: WaStatus[];
  errors?: WaError[];
  /** field `smb_message_echoes`: messages the business sent from the WhatsApp Business app. */
  message_echoes?: (WaMessage & { to?: string; to_user_id?: string })[];
}
interface WaContact {
  profile?: { name?: string; username?: string };
  wa_id?: string;
  user_id?: string;
}
interface WaError {
  code?: number;
  title?: string;
  message?: string;
  details?: string;
  error_data?: { details?: string };
}
interface WaMediaBody {
  id?: string;
  mime_type?: string;
  sha256?: string;
  caption?: string;
  filename?: string;
  voice?: boolean;
  animated?: boolean;
  url?: string;
}
/** A card of a `contacts` message (Meta: webhooks/reference/messages/contacts). */
interface WaContactCard {
  name?: {
    formatted_name?: string;
    first_name?: string;
    last_name?: string;
    middle_name?: string;
    suffix?: string;
    prefix?: string;
  };
  phones?: { phone?: string; wa_id?: string; type?: string }[];
  emails?: { email?: string; type?: string }[];
  org?: { company?: string; department?: string; title?: string };
  urls?: { url?: string; type?: string }[];
  addresses?: {
    street?: string;
    city?: string;
    state?: string;
    zip?: string;
    country?: string;
    country_code?: string;
    type?: string;
  }[];
  birthday?: string;
  vcard?: string;
}
export interface WaMessage {
  from?: string;
  from_user_id?: string;
  group_id?: string;
  id?: string;
  timestamp?: string;
  type?: string;
  text?: { body?: string };
  image?: WaMediaBody;
  video?: WaMediaBody;
  audio?: WaMediaBody;
  document?: WaMediaBody;
  sticker?: WaMediaBody;
  location?: { latitude?: number; longitude?: number; name?: string; address?: string };
  contacts?: WaContactCard[];
  reaction?: { message_id?: string; emoji?: string };
  button?: { text?: string; payload?: string };
  interactive?: {
    type?: string;
    button_reply?: { id?: string; title?: string };
    list_reply?: { id?: string; title?: string; description?: string };
    nfm_reply?: { name?: string; body?: string; response_json?: string };
  };
  context?: { from?: string; id?: string; forwarded?: boolean; frequently_forwarded?: boolean };
  system?: { type?: string; body?: string };
  edit?: { original_message_id?: string; message?: WaMessage };
  unsupported?: { type?: string };
  errors?: WaError[];
}
interface WaStatus {
  id?: string;
  status?: string;
  timestamp?: string;
  recipient_id?: string;
  errors?: WaError[];
  conversation?: Record<string, unknown>;
  pricing?: Record<string, unknown>;
  biz_opaque_callback_data?: string;
}

/* The fields normalizeWhatsAppChange reads, with the types it reads them as (payload-shape.ts). */
const waError = object({
  code: { type: ['integer', 'string'] },
  title: str,
  message: str,
  details: str,
  error_data: object({ details: str }),
});
const waMedia = object({
  id,
  mime_type: str,
  sha256: str,
  caption: str,
  filename: str,
  voice: bool,
  animated: bool,
  url: str,
});
const waMessageProperties: Record<string, Schema> = {
  from: id,
  from_user_id: id,
  group_id: id,
  id,
  timestamp: { type: ['string', 'integer'] },
  type: token,
  text: object({ body: str }),
  image: waMedia,
  video: waMedia,
  audio: waMedia,
  document: waMedia,
  sticker: waMedia,
  location: object({ latitude: num, longitude: num, name: str, address: str }),
  contacts: array(
    object({
      name: object({
        formatted_name: str,
        first_name: str,
        last_name: str,
        middle_name: str,
        suffix: str,
        prefix: str,
      }),
      phones: array(object({ phone: str, wa_id: id, type: str })),
      emails: array(object({ email: str, type: str })),
      org: object({ company: str, department: str, title: str }),
      urls: array(object({ url: str, type: str })),
      addresses: array(
        object({
          street: str,
          city: str,
          state: str,
          zip: str,
          country: str,
          country_code: str,
          type: str,
        }),
      ),
      birthday: str,
      vcard: str,
    }),
  ),
  reaction: object({ message_id: id, emoji: str }),
  button: object({ text: str, payload: str }),
  interactive: object({
    type: token,
    button_reply: object({ id: str, title: str }),
    list_reply: object({ id: str, title: str, description: str }),
    nfm_reply: object({ name: str, body: str, response_json: str }),
  }),
  context: object({ from: id, id, forwarded: bool, frequently_forwarded: bool }),
  system: object({ type: token, body: str }),
  edit: object({ original_message_id: id, message: { $ref: '#/$defs/message' } }),
  unsupported: object({ type: token }),
  errors: array(waError),
};
const waChangeSchema: Schema = {
  $defs: { message: object(waMessageProperties) },
  ...object({
    field: token,
    value: {
      type: ['object', 'null'],
      properties: {
        metadata: object({ display_phone_number: str, phone_number_id: id }),
        contacts: array(object({ profile: object({ name: str, username: str }), wa_id: id, user_id: id })),
        messages: array({ $ref: '#/$defs/message' }),
        statuses: array(
          object({
            id,
            status: token,
            timestamp: { type: ['string', 'integer'] },
            recipient_id: id,
            errors: array(waError),
            conversation: anyObject,
            pricing: anyObject,
            biz_opaque_callback_data: str,
          }),
        ),
        errors: array(waError),
        message_echoes: array({
          allOf: [{ $ref: '#/$defs/message' }, object({ to: id, to_user_id: id })],
        }),
      },
    },
  }),
};
const checkWaChange = shapeCheck(waChangeSchema);
const checkWaEntry = shapeCheck(object({ id, changes: array({}) }));

/**
 * Every item of one `entry[]` element: its changes (normalizeWhatsAppChange), or, when the entry
 * is not an object with a `changes` array, the entry as one `malformed_payload` skip.
 */
export function normalizeWhatsAppEntry(entry: unknown): WaInboundItem[] {
  const bad = checkWaEntry(entry);
  if (bad) return [malformedItem(entry, bad)];
  return ((entry as WaEntry).changes ?? []).flatMap((change) => normalizeWhatsAppChange(change));
}

/** `metadata.phone_number_id` of a change, when it has one of the right type (for routing). */
export function phoneNumberIdOf(change: unknown): string | undefined {
  const value = isObject(change) ? change.value : undefined;
  const metadata = isObject(value) ? value.metadata : undefined;
  const pnid = isObject(metadata) ? metadata.phone_number_id : undefined;
  return typeof pnid === 'string' || typeof pnid === 'number' ? String(pnid) : undefined;
}

/** One inbound item of a webhook body: a message, a status, or a change we do not model. */
export interface WaInboundItem {
  /** Dedupe key: the wamid for messages, `<wamid>:<status>` for statuses, a content hash otherwise. */
  providerEventId: string;
  /** What is archived for this item: the change reduced to this one message or status. */
  payload: Record<string, unknown>;
  result: InboundResult;
}

type WaMediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

/**
 * Every item of one `entry[].changes[]` element. `field: "messages"` carries `messages[]`
 * (→ message results) and `statuses[]` (→ status results); any other field (account_update,
 * message_template_status_update, calls, ...) and a messages change without either is one skip
 * with the reason logged in `inbound_events.skip_reason`. A change that does not fit the Cloud
 * API's shapes (`statuses: 12345`) is one `malformed_payload` skip, archived as received.
 */
export function normalizeWhatsAppChange(change: WaChange): WaInboundItem[] {
  const bad = checkWaChange(change);
  if (bad) return [malformedItem(change, bad)];
  const field = change.field ?? 'unknown';
  const value = change.value ?? {};
  const items: WaInboundItem[] = [];
  if (field === 'messages') {
    for (const msg of value.messages ?? []) {
      items.push({
        providerEventId: msg.id ?? contentId(field, msg),
        payload: { field, metadata: value.metadata, contacts: value.contacts, messages: [msg] },
        result: normalizeMessage(msg, value.contacts ?? []),
      });
    }
    for (const st of value.statuses ?? []) {
      items.push({
        providerEventId: `${st.id}:${st.status}`,
        payload: { field, metadata: value.metadata, statuses: [st] },
        result: normalizeStatus(st),
      });
    }
  }
  if (field === 'smb_message_echoes') {
    for (const echo of value.message_echoes ?? []) {
      items.push({
        providerEventId: echo.id ?? contentId(field, echo),
        payload: { field, metadata: value.metadata, message_echoes: [echo] },
        result: normalizeEcho(echo, value.metadata?.display_phone_number),
      });
    }
  }
  if (items.length === 0) {
    const errors = value.errors?.map((e) => `${e.code} ${e.title ?? e.message ?? ''}`.trim()).join('; ');
    items.push({
      providerEventId: contentId(field, value),
      payload: { field, value },
      result: {
        kind: 'skip',
        reason: errors ? `webhook_errors:${errors}` : `unmodeled_field:${field}`,
      },
    });
  }
  return items;
}

/** One `messages[]` element → a message (edits carry `editedAt`), or a skip naming the kind. */
export function normalizeMessage(msg: WaMessage, contacts: WaContact[]): InboundResult {
  const sender = msg.from ?? msg.from_user_id;
  if (!sender || !msg.id) return { kind: 'skip', reason: `no_sender:${msg.type ?? 'unknown'}` };
  const profile = contacts.find((c) => c.wa_id === sender || c.user_id === sender) ?? contacts[0];
  const timestamp = unixSeconds(msg.timestamp);
  const base: InboundMessage = {
    providerMessageId: msg.id,
    chat: msg.group_id ? { id: msg.group_id, type: 'group' } : { id: sender, type: 'private' },
    from: {
      id: sender,
      ...(profile?.profile?.name ? { name: profile.profile.name } : {}),
      ...(profile?.profile?.username ? { username: profile.profile.username } : {}),
      ...(msg.from ? { phone: msg.from } : {}),
    },
    type: msg.type ?? 'unsupported',
    timestamp,
  };
  if (msg.type === 'revoke' || msg.type === 'system') {
    return {
      kind: 'skip',
      reason: `unmodeled_message:${msg.type}:${msg.system?.type ?? ''}`.replace(/:$/, ''),
    };
  }
  if (msg.type === 'edit') {
    const inner = msg.edit?.message;
    if (!inner || !msg.edit?.original_message_id) return { kind: 'skip', reason: 'unmodeled_message:edit' };
    const edited = normalizeMessage(
      { ...inner, id: msg.edit.original_message_id, from: msg.from, from_user_id: msg.from_user_id },
      contacts,
    );
    if (edited.kind !== 'message') return edited;
    return { kind: 'message', message: { ...edited.message, editedAt: timestamp } };
  }
  const m = { ...base, ...content(msg) };
  if (msg.context?.id && !msg.context.forwarded && !msg.context.frequently_forwarded)
    m.replyTo = msg.context.id;
  if (msg.context?.forwarded || msg.context?.frequently_forwarded) m.forwarded = true;
  return { kind: 'message', message: m };
}

/**
 * A message the business sent from the WhatsApp Business app (coexistence): stored as ours
 * (`fromMe`) in the chat with `to`.
 */
function normalizeEcho(
  echo: WaMessage & { to?: string; to_user_id?: string },
  businessNumber: string | undefined,
): InboundResult {
  const to = echo.to ?? echo.to_user_id;
  if (!to) return { kind: 'skip', reason: `no_recipient:${echo.type ?? 'unknown'}` };
  const r = normalizeMessage({ ...echo, from: to, from_user_id: undefined }, []);
  if (r.kind !== 'message') return r;
  return {
    kind: 'message',
    message: { ...r.message, from: { id: echo.from ?? businessNumber ?? 'business' }, fromMe: true },
  };
}

/** The type-specific part of a message. */
function content(msg: WaMessage): Partial<InboundMessage> {
  const kind = msg.type ?? 'unsupported';
  switch (kind) {
    case 'text':
      return { type: 'text', text: msg.text?.body ?? '' };
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker': {
      const body = msg[kind as WaMediaKind];
      if (!body?.id) return unsupported(kind, msg);
      const media: InboundMedia = {
        providerMediaId: body.id,
        ...(body.mime_type ? { mimeType: body.mime_type } : {}),
        ...(body.filename ? { fileName: body.filename } : {}),
        ...(body.caption ? { caption: body.caption } : {}),
        ...(body.animated !== undefined ? { animated: body.animated } : {}),
      };
      return {
        type: kind === 'audio' && body.voice ? 'voice' : kind,
        media,
        ...(body.caption ? { text: body.caption } : {}),
      };
    }
    case 'location': {
      const l = msg.location;
      if (typeof l?.latitude !== 'number' || typeof l.longitude !== 'number') return unsupported(kind, msg);
      return {
        type: 'location',
        location: {
          latitude: l.latitude,
          longitude: l.longitude,
          ...(l.name ? { name: l.name } : {}),
          ...(l.address ? { address: l.address } : {}),
        },
      };
    }
    case 'contacts':
      return {
        type: 'contacts',
        contacts: (msg.contacts ?? []).map(fromCloudApiContact),
      };
    case 'reaction':
      if (!msg.reaction?.message_id) return unsupported(kind, msg);
      return {
        type: 'reaction',
        reaction: { messageId: msg.reaction.message_id, emoji: msg.reaction.emoji ?? '' },
      };
    case 'button':
      return {
        type: 'button',
        text: msg.button?.text ?? '',
        interactive: { type: 'button', title: msg.button?.text, payload: msg.button?.payload },
      };
    case 'interactive': {
      const i = msg.interactive;
      const reply = i?.button_reply ?? i?.list_reply;
      if (i?.type && reply) {
        return {
          type: 'interactive',
          text: reply.title ?? '',
          interactive: {
            type: i.type,
            id: reply.id,
            title: reply.title,
            ...(i.list_reply?.description ? { description: i.list_reply.description } : {}),
          },
        };
      }
      if (i?.type === 'nfm_reply' && i.nfm_reply) {
        return {
          type: 'interactive',
          text: i.nfm_reply.body ?? '',
          interactive: { type: 'nfm_reply', id: i.nfm_reply.name, payload: i.nfm_reply.response_json },
        };
      }
      return unsupported(kind, msg);
    }
    default:
      return unsupported(msg.unsupported?.type ?? kind, msg);
  }
}

/** Stored as type `unsupported` with the kind and the provider's error (e.g. 131051). */
function unsupported(kind: string, msg: WaMessage): Partial<InboundMessage> {
  const e = msg.errors?.[0];
  return {
    type: 'unsupported',
    unsupportedKind: kind,
    ...(e ? { error: toInboundError(e) } : {}),
  };
}

function normalizeStatus(st: WaStatus): InboundResult {
  const status = st.status as DeliveryStatus;
  if (!st.id || !DELIVERY_STATUSES.includes(status)) {
    return { kind: 'skip', reason: `unmodeled_status:${st.status ?? 'unknown'}` };
  }
  return {
    kind: 'status',
    status: {
      status,
      providerMessageId: st.id,
      ...(st.recipient_id ? { recipientId: st.recipient_id } : {}),
      timestamp: unixSeconds(st.timestamp),
      ...(st.errors?.[0] ? { error: toInboundError(st.errors[0]) } : {}),
      ...(st.conversation || st.pricing || st.biz_opaque_callback_data
        ? {
            details: {
              ...(st.conversation ? { conversation: st.conversation } : {}),
              ...(st.pricing ? { pricing: st.pricing } : {}),
              ...(st.biz_opaque_callback_data ? { bizOpaqueCallbackData: st.biz_opaque_callback_data } : {}),
            },
          }
        : {}),
    },
  };
}

function toInboundError(e: WaError): InboundError {
  const details = e.error_data?.details ?? e.details;
  return {
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(e.title ? { title: e.title } : {}),
    ...(e.message ? { message: e.message } : {}),
    ...(details ? { details } : {}),
  };
}

/**
 * One inbound Cloud API card → the normalized card with every field the webhook carries
 * (`wa_id` of a phone → `waId`, `country_code` → `countryCode`); `phone` is the first phone
 * (`''` when none), `providerContactId` the first phone's `wa_id`. A card with only a `vcard`
 * gets its fields from it (vcard.ts).
 */
export function fromCloudApiContact(c: WaContactCard): ContactCard & { providerContactId?: string } {
  const text = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : String(v));
  const phones = (c.phones ?? [])
    .filter((p) => text(p.phone) || text(p.wa_id))
    .map((p) => ({
      phone: text(p.phone) ?? text(p.wa_id)!,
      ...(text(p.type) ? { type: text(p.type) } : {}),
      ...(text(p.wa_id) ? { waId: text(p.wa_id) } : {}),
    }));
  const fromVCard = c.vcard ? vCardToContactCard(c.vcard) : null;
  const card = toContactCard({
    ...fromVCard,
    name: c.name?.formatted_name ?? c.name?.first_name ?? fromVCard?.name ?? phones[0]?.phone ?? '',
    firstName: c.name?.first_name ?? fromVCard?.firstName,
    lastName: c.name?.last_name ?? fromVCard?.lastName,
    middleName: c.name?.middle_name ?? fromVCard?.middleName,
    prefix: c.name?.prefix ?? fromVCard?.prefix,
    suffix: c.name?.suffix ?? fromVCard?.suffix,
    phones: phones.length ? phones : fromVCard?.phones,
    emails:
      c.emails
        ?.filter((e) => text(e.email))
        .map((e) => ({ email: e.email!, ...(text(e.type) ? { type: e.type } : {}) })) ?? fromVCard?.emails,
    org: c.org ?? fromVCard?.org,
    urls:
      c.urls
        ?.filter((u) => text(u.url))
        .map((u) => ({ url: u.url!, ...(text(u.type) ? { type: u.type } : {}) })) ?? fromVCard?.urls,
    addresses:
      c.addresses?.map((a) => ({
        street: a.street,
        city: a.city,
        state: a.state,
        zip: a.zip,
        country: a.country,
        countryCode: a.country_code,
        type: a.type,
      })) ?? fromVCard?.addresses,
    birthday: c.birthday ?? fromVCard?.birthday,
    vcard: c.vcard,
  });
  const waId = card.phones?.find((p) => p.waId)?.waId;
  return { ...card, phone: card.phone ?? '', ...(waId ? { providerContactId: waId } : {}) };
}

/** Meta timestamps are unix seconds as strings; one that is no date (a placeholder, 1e20) is now. */
function unixSeconds(ts: string | undefined): Date {
  const n = Number(ts);
  return Number.isFinite(n) && n > 0 && n * 1000 <= MAX_EPOCH_MS ? new Date(n * 1000) : new Date();
}

function contentId(field: string, value: unknown): string {
  return `${field}:${createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32)}`;
}
