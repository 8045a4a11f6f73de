import { cardPhones, contactCardToVCard, toContactCard, vCardToContactCard, withVCardFields } from '../vcard';
import type { ContactCard, DeliveryStatus, InboundMedia, InboundMessage, InboundResult } from '../normalized';
import {
  isGroupJid,
  isLidJid,
  isPnJid,
  normalizeJid,
  phoneOf,
  type RawKey,
  type RawMessageUpdate,
  type RawReceipt,
  type RawWAMessage,
} from './engine';

/*
 * Baileys → normalized (providers/whatsapp-web.md §2.2, §2.5, §5.2.3), pure: the same for the real
 * and the fake engine. Tolerates the JSON encodings of protobufjs (Long as string, number or
 * {low,high}; enums as names or numbers; bytes as base64 or {"0":n}).
 * Reactions, revokes and edits are taken from the `messages.upsert` that carries them (the raw
 * `reactionMessage` / `protocolMessage`); the derived `messages.reaction` / `messages.update`
 * events are not normalized a second time (only `update.status` receipts are).
 */

export const WHATSAPP_WEB = 'whatsapp-web';

/** Long / number / string / {low,high} → number (NaN-safe: undefined). */
export function toNumber(v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') return v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'object' && 'low' in (v as object)) {
    const { low, high } = v as { low: number; high: number };
    return (high >>> 0) * 2 ** 32 + (low >>> 0);
  }
  return undefined;
}

/** The wrappers Baileys' `normalizeMessageContent` unwraps (B: Utils/messages.ts L788-818). */
const WRAPPERS = [
  'ephemeralMessage',
  'viewOnceMessage',
  'viewOnceMessageV2',
  'viewOnceMessageV2Extension',
  'documentWithCaptionMessage',
  'editedMessage',
  'deviceSentMessage',
] as const;

export function unwrap(
  message: Record<string, unknown> | null | undefined,
): Record<string, unknown> | undefined {
  let m = message ?? undefined;
  for (let depth = 0; m && depth < 5; depth++) {
    const wrapper = WRAPPERS.find((w) => m![w] && typeof m![w] === 'object');
    if (!wrapper) break;
    m = ((m[wrapper] as { message?: Record<string, unknown> }).message ?? undefined) as
      Record<string, unknown> | undefined;
  }
  return m;
}

/** Who a chat / sender is: the phone JID when known (the contact id), the LID beside it. */
export interface ResolvedParty {
  id: string;
  phone?: string;
  lid?: string;
}

/**
 * A JID and its alternative (`remoteJidAlt` / `participantAlt`) → one party: the normalized phone
 * JID is the id whenever either side is one, else the LID (§2.5 contact-id rule). `lidToPn`
 * answers from mappings already learned (lid-mapping, contacts).
 */
export function resolveParty(
  jid: string | null | undefined,
  alt?: string | null,
  lidToPn?: (lid: string) => string | undefined,
): ResolvedParty | undefined {
  const a = normalizeJid(jid);
  const b = normalizeJid(alt);
  if (!a && !b) return undefined;
  const lid = [a, b].find(isLidJid);
  let pn = [a, b].find(isPnJid);
  if (!pn && lid && lidToPn) pn = lidToPn(lid);
  if (pn) return { id: pn, phone: phoneOf(pn), ...(lid ? { lid } : {}) };
  return { id: (a ?? b)!, ...(lid ? { lid } : {}) };
}

export interface NormalizeContext {
  /** The linked account's own JID (phone), for `fromMe` senders. */
  meJid?: string;
  meName?: string;
  lidToPn?: (lid: string) => string | undefined;
}

const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The event id of an upsert: the message key (dedupe across redeliveries and engine restarts). */
export const upsertEventId = (key: RawKey) => `msg:${key.id}`;

/** One `messages.upsert` message → normalized (message / skip). */
export function normalizeWAMessage(raw: RawWAMessage, ctx: NormalizeContext = {}): InboundResult {
  const key = raw.key ?? {};
  if (!key.id) return { kind: 'skip', reason: 'message without key.id' };
  const remote = normalizeJid(key.remoteJid);
  if (!remote) return { kind: 'skip', reason: 'message without remoteJid' };
  if (remote === 'status@broadcast') return { kind: 'skip', reason: 'status broadcast' };
  if (remote.endsWith('@broadcast')) return { kind: 'skip', reason: 'broadcast list' };
  const stub = raw.messageStubType;
  const content = unwrap(raw.message);
  if (!content) {
    return {
      kind: 'skip',
      reason: stub !== undefined && stub !== null ? `stub ${String(stub)}` : 'no content',
    };
  }
  const group = isGroupJid(remote);
  const chatParty = group ? { id: remote } : resolveParty(key.remoteJid, key.remoteJidAlt, ctx.lidToPn)!;
  const fromMe = !!key.fromMe;
  const senderParty: ResolvedParty | undefined = fromMe
    ? ctx.meJid
      ? { id: normalizeJid(ctx.meJid)!, phone: phoneOf(normalizeJid(ctx.meJid)) }
      : undefined
    : group
      ? resolveParty(key.participant, key.participantAlt, ctx.lidToPn)
      : chatParty;
  const from = {
    id: senderParty?.id ?? chatParty.id,
    ...(fromMe ? (ctx.meName ? { name: ctx.meName } : {}) : s(raw.pushName) ? { name: raw.pushName! } : {}),
    ...(senderParty?.phone ? { phone: senderParty.phone } : {}),
  };
  const ts = toNumber(raw.messageTimestamp);
  const timestamp = ts ? new Date(ts * 1000) : new Date();
  const base = {
    chat: { id: chatParty.id, type: group ? ('group' as const) : ('private' as const) },
    from,
    timestamp,
    ...(fromMe ? { fromMe: true } : {}),
  };

  // edits and revokes arrive as a protocolMessage naming the original message
  const protocol = content.protocolMessage as
    | { key?: RawKey; type?: unknown; editedMessage?: Record<string, unknown>; timestampMs?: unknown }
    | undefined;
  if (protocol) {
    const type = protocol.type;
    const target = protocol.key?.id;
    if ((type === 'REVOKE' || type === 0) && target) {
      return {
        kind: 'message',
        message: { ...base, providerMessageId: target, type: 'deleted', editedAt: timestamp },
      };
    }
    if ((type === 'MESSAGE_EDIT' || type === 14) && target && protocol.editedMessage) {
      const edited = describeContent(unwrap(protocol.editedMessage) ?? {}, target);
      const at = toNumber(protocol.timestampMs);
      return {
        kind: 'message',
        message: {
          ...base,
          ...edited,
          providerMessageId: target,
          editedAt: at ? new Date(at) : timestamp,
        } as InboundMessage,
      };
    }
    return { kind: 'skip', reason: `protocolMessage ${String(type)}` };
  }
  if (content.senderKeyDistributionMessage && Object.keys(content).every((k) => SIGNALLING.has(k)))
    return { kind: 'skip', reason: 'key distribution' };
  const described = describeContent(content, key.id);
  if (!described) return { kind: 'skip', reason: 'no content' };
  return {
    kind: 'message',
    message: { ...base, providerMessageId: key.id, ...described } as InboundMessage,
  };
}

/** Keys that carry no user content. */
const SIGNALLING = new Set(['senderKeyDistributionMessage', 'messageContextInfo']);

type Described = Omit<InboundMessage, 'providerMessageId' | 'chat' | 'from' | 'timestamp'>;

const MEDIA_KINDS = {
  imageMessage: 'image',
  videoMessage: 'video',
  audioMessage: 'audio',
  documentMessage: 'document',
  stickerMessage: 'sticker',
} as const;

/** The content part of a message → type, text, media, location, contacts, reaction, replyTo. */
function describeContent(c: Record<string, unknown>, messageId: string): Described | undefined {
  if (typeof c.conversation === 'string') return { type: 'text', text: c.conversation };
  const ext = c.extendedTextMessage as { text?: string; contextInfo?: ContextInfo } | undefined;
  if (ext) return { type: 'text', text: ext.text ?? '', ...replyOf(ext.contextInfo) };
  for (const [field, kind] of Object.entries(MEDIA_KINDS)) {
    const m = c[field] as MediaFields | undefined;
    if (!m) continue;
    const caption = s(m.caption);
    const media: InboundMedia = {
      providerMediaId: messageId,
      ...(s(m.mimetype) ? { mimeType: m.mimetype } : {}),
      ...(s(m.fileName) ? { fileName: m.fileName } : {}),
      ...(toNumber(m.fileLength) !== undefined ? { size: toNumber(m.fileLength) } : {}),
      ...(caption ? { caption } : {}),
      ...(toNumber(m.width) ? { width: toNumber(m.width) } : {}),
      ...(toNumber(m.height) ? { height: toNumber(m.height) } : {}),
      ...(toNumber(m.seconds) !== undefined ? { duration: toNumber(m.seconds) } : {}),
      ...(m.isAnimated !== undefined && m.isAnimated !== null ? { animated: !!m.isAnimated } : {}),
      ...(m.gifPlayback ? { animated: true } : {}),
    };
    return {
      type: kind === 'audio' && m.ptt ? 'voice' : kind,
      media,
      ...(caption ? { text: caption } : {}),
      ...replyOf(m.contextInfo),
    };
  }
  const loc = (c.locationMessage ?? c.liveLocationMessage) as
    | {
        degreesLatitude?: number;
        degreesLongitude?: number;
        name?: string;
        address?: string;
        contextInfo?: ContextInfo;
      }
    | undefined;
  if (loc && typeof loc.degreesLatitude === 'number' && typeof loc.degreesLongitude === 'number') {
    return {
      type: 'location',
      location: {
        latitude: loc.degreesLatitude,
        longitude: loc.degreesLongitude,
        ...(s(loc.name) ? { name: loc.name } : {}),
        ...(s(loc.address) ? { address: loc.address } : {}),
      },
      ...replyOf(loc.contextInfo),
    };
  }
  const one = c.contactMessage as
    { displayName?: string; vcard?: string; contextInfo?: ContextInfo } | undefined;
  const many = c.contactsArrayMessage as
    | {
        displayName?: string;
        contacts?: { displayName?: string; vcard?: string }[];
        contextInfo?: ContextInfo;
      }
    | undefined;
  if (one || many) {
    const list = one ? [one] : (many?.contacts ?? []);
    return {
      type: 'contacts',
      contacts: list.map((x) => vcardToCard(x.vcard, x.displayName)),
      ...replyOf((one ?? many)?.contextInfo),
    };
  }
  const reaction = c.reactionMessage as { key?: RawKey; text?: string | null } | undefined;
  if (reaction?.key?.id) {
    return { type: 'reaction', reaction: { messageId: reaction.key.id, emoji: reaction.text ?? '' } };
  }
  const kinds = Object.keys(c).filter((k) => !SIGNALLING.has(k));
  if (kinds.length === 0) return undefined;
  return { type: 'unsupported', unsupportedKind: kinds[0] };
}

interface ContextInfo {
  stanzaId?: string;
  participant?: string;
  quotedMessage?: unknown;
  isForwarded?: boolean;
}

interface MediaFields {
  caption?: string;
  mimetype?: string;
  fileName?: string;
  fileLength?: unknown;
  width?: unknown;
  height?: unknown;
  seconds?: unknown;
  ptt?: boolean;
  isAnimated?: boolean | null;
  gifPlayback?: boolean;
  contextInfo?: ContextInfo;
}

function replyOf(ci: ContextInfo | undefined): Partial<Described> {
  return {
    ...(ci?.stanzaId && ci.quotedMessage ? { replyTo: ci.stanzaId } : {}),
    ...(ci?.isForwarded ? { forwarded: true } : {}),
  };
}

/** vCard → the rich card (vcard.ts: FN, N, every TEL with its `waid`, EMAIL, ORG, …); `providerContactId` from the first `waid`. */
export function vcardToCard(
  vcard: string | undefined,
  displayName?: string,
): ContactCard & { providerContactId?: string } {
  const parsed = vcard ? vCardToContactCard(vcard) : null;
  const card = toContactCard({
    ...(parsed ?? {}),
    name: parsed?.name || displayName || parsed?.phone || '',
    ...(vcard ? { vcard } : {}),
  } as ContactCard);
  const waId = card.phones?.find((p) => p.waId)?.waId;
  return {
    ...card,
    phone: card.phone ?? '',
    ...(waId ? { providerContactId: `${waId}@s.whatsapp.net` } : {}),
  };
}

/**
 * The rich card → the vCard WhatsApp shows as a contact: the caller's `vcard` as given, else one
 * built from the card (vcard.ts), every phone with its `waid` (WhatsApp makes it tappable).
 */
export function cardToVcard(c: ContactCard): string {
  if (c.vcard) return c.vcard;
  const card = withVCardFields(c);
  const phones = cardPhones(card).map((p) => ({ ...p, waId: p.waId ?? p.phone.replace(/\D/g, '') }));
  // WhatsApp's own vCards write the parameter in lower case (`TEL;type=CELL;waid=…`)
  return contactCardToVCard({ ...card, phones }).replace(/;WAID=/g, ';waid=');
}

/** Baileys `proto.WebMessageInfo.Status` (names or numbers) → our delivery status; others undefined. */
export function receiptStatus(status: unknown): DeliveryStatus | undefined {
  switch (status) {
    case 0:
    case 'ERROR':
      return 'failed';
    case 3:
    case 'DELIVERY_ACK':
      return 'delivered';
    case 4:
    case 'READ':
      return 'read';
    case 5:
    case 'PLAYED':
      return 'played';
    default:
      return undefined;
  }
}

/** `messages.update` → `message_status` items (forward-only is enforced at ingest), fromMe only. */
export function normalizeUpdate(u: RawMessageUpdate): { eventId: string; result: InboundResult } | undefined {
  const status = receiptStatus(u.update?.status);
  if (!status || !u.key?.id || !u.key.fromMe) return undefined;
  const chat = normalizeJid(
    u.key.remoteJidAlt && isPnJid(normalizeJid(u.key.remoteJidAlt)) ? u.key.remoteJidAlt : u.key.remoteJid,
  );
  return {
    eventId: `status:${u.key.id}:${status}`,
    result: {
      kind: 'status',
      status: {
        status,
        providerMessageId: u.key.id,
        ...(chat ? { recipientId: chat } : {}),
        timestamp: new Date(),
      },
    },
  };
}

/** `message-receipt.update` (groups, per participant) → `message_status` items. */
export function normalizeReceipt(r: RawReceipt): { eventId: string; result: InboundResult } | undefined {
  if (!r.key?.id || !r.key.fromMe) return undefined;
  const rc = r.receipt ?? ({} as RawReceipt['receipt']);
  const [status, at]: [DeliveryStatus, unknown] | [undefined, undefined] =
    rc.playedTimestamp !== undefined && rc.playedTimestamp !== null
      ? ['played', rc.playedTimestamp]
      : rc.readTimestamp !== undefined && rc.readTimestamp !== null
        ? ['read', rc.readTimestamp]
        : rc.receiptTimestamp !== undefined && rc.receiptTimestamp !== null
          ? ['delivered', rc.receiptTimestamp]
          : [undefined, undefined];
  if (!status) return undefined;
  const seconds = toNumber(at);
  const recipient = normalizeJid(rc.userJid);
  return {
    eventId: `receipt:${r.key.id}:${recipient ?? ''}:${status}`,
    result: {
      kind: 'status',
      status: {
        status,
        providerMessageId: r.key.id,
        ...(recipient ? { recipientId: recipient } : {}),
        timestamp: seconds ? new Date(seconds * 1000) : new Date(),
      },
    },
  };
}
