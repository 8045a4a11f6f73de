import { createHash } from 'node:crypto';
import type { InboundMedia, InboundMessage, InboundResult } from '../normalized';
import {
  array,
  bool,
  epochMs,
  id,
  int,
  malformedItem,
  num,
  object,
  shapeCheck,
  str as text,
  token,
} from '../payload-shape';

export const FACEBOOK_MESSENGER = 'facebook-messenger';

/**
 * Messenger Platform webhook shapes (PROVIDERS.md §3.3; Meta: messenger-platform/webhooks/
 * webhook-events/{messages, message-echoes, message-deliveries, message-reads, message-reactions,
 * messaging_postbacks}). Ids may arrive as numbers (restfb samples) and are read as strings.
 * Instagram messaging uses the same event shapes (PROVIDERS.md §4.2).
 */
export interface MsWebhook {
  object?: string;
  entry?: MsEntry[];
}
export interface MsEntry {
  /** Page id (Messenger) or Instagram account id. */
  id?: string | number;
  time?: number;
  messaging?: MsEvent[];
  /** Handover protocol: events while another app owns the thread (same shape). */
  standby?: MsEvent[];
  changes?: { field?: string; value?: unknown }[];
}
interface MsAttachment {
  type?: string;
  title?: string;
  url?: string;
  payload?:
    { url?: string; sticker_id?: number; coordinates?: { lat?: number; long?: number } } | string | null;
}
export interface MsEvent {
  sender?: { id?: string | number };
  recipient?: { id?: string | number };
  timestamp?: number;
  message?: {
    mid?: string;
    text?: string;
    is_echo?: boolean;
    is_deleted?: boolean;
    is_unsupported?: boolean;
    quick_reply?: { payload?: string };
    reply_to?: { mid?: string; story?: { url?: string; id?: string } };
    sticker_id?: number;
    attachments?: MsAttachment[];
  };
  message_edit?: { mid?: string; text?: string };
  delivery?: { mids?: string[]; watermark?: number };
  read?: { watermark?: number; mid?: string };
  reaction?: { mid?: string; action?: string; reaction?: string; emoji?: string };
  postback?: { mid?: string; title?: string; payload?: string };
}

/* The fields normalizeMessengerEntry reads, with the types it reads them as (payload-shape.ts). */
const checkEntry = shapeCheck(
  object({
    id,
    time: num,
    messaging: array({}),
    standby: array({}),
    changes: array(object({ field: token })),
  }),
);
const checkEvent = shapeCheck(
  object({
    sender: object({ id }),
    recipient: object({ id }),
    timestamp: epochMs,
    message: object({
      mid: id,
      text: text,
      is_echo: bool,
      is_deleted: bool,
      is_unsupported: bool,
      quick_reply: object({ payload: text }),
      reply_to: object({ mid: id, story: object({ url: text, id }) }),
      sticker_id: int,
      attachments: array(
        object({
          type: token,
          title: text,
          url: text,
          payload: {
            type: ['object', 'string', 'null'],
            properties: {
              url: text,
              sticker_id: int,
              coordinates: object({ lat: num, long: num }),
            },
          },
        }),
      ),
    }),
    message_edit: object({ mid: id, text: text }),
    delivery: object({ mids: array(id), watermark: epochMs }),
    read: object({ watermark: epochMs, mid: id }),
    reaction: object({ mid: id, action: token, reaction: token, emoji: token }),
    postback: object({ mid: id, title: text, payload: text }),
  }),
);

/** One inbound item: a message, an echo, a status, or an event we do not model. */
export interface MsInboundItem {
  providerEventId: string;
  payload: Record<string, unknown>;
  result: InboundResult;
}

const MEDIA_TYPES: Record<string, string> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  file: 'document',
  ig_reel: 'video',
  reel: 'video',
  // Instagram: a shared post and a story that mentions the account, both as their CDN URL
  share: 'share',
  story_mention: 'story_mention',
};

/**
 * Every `messaging[]` / `standby[]` event of one entry. Messages, echoes (stored as ours),
 * edits, reactions and postbacks become messages; `delivery` → `delivered` and `read` /
 * `messaging_seen` → `read` statuses up to the watermark of the chat with `sender.id`; anything
 * else (optins, referrals, handover, account linking, ...) is skipped naming the event. An entry
 * or event that does not fit the platform's shapes is one `malformed_payload` skip, archived as
 * received.
 */
export function normalizeMessengerEntry(entry: MsEntry): MsInboundItem[] {
  const bad = checkEntry(entry);
  if (bad) return [malformedItem(entry, bad)];
  const items: MsInboundItem[] = [];
  for (const ev of [...(entry.messaging ?? []), ...(entry.standby ?? [])]) {
    const badEvent = checkEvent(ev);
    items.push(badEvent ? malformedItem(ev, badEvent) : normalizeEvent(ev));
  }
  for (const change of entry.changes ?? []) {
    items.push({
      providerEventId: contentId(`change:${change.field}`, change),
      payload: change as Record<string, unknown>,
      result: { kind: 'skip', reason: `unmodeled_field:${change.field ?? 'unknown'}` },
    });
  }
  return items;
}

function normalizeEvent(ev: MsEvent): MsInboundItem {
  const payload = ev as Record<string, unknown>;
  const sender = str(ev.sender?.id);
  const recipient = str(ev.recipient?.id);
  const timestamp = ms(ev.timestamp);
  if (ev.delivery) {
    const watermark = ev.delivery.watermark;
    return {
      providerEventId: `delivery:${sender}:${watermark}`,
      payload,
      result: watermark
        ? {
            kind: 'status',
            status: {
              status: 'delivered',
              watermark: new Date(watermark),
              providerChatId: sender,
              recipientId: sender,
              timestamp,
            },
          }
        : { kind: 'skip', reason: 'delivery_without_watermark' },
    };
  }
  if (ev.read) {
    if (ev.read.watermark) {
      return {
        providerEventId: `read:${sender}:${ev.read.watermark}`,
        payload,
        result: {
          kind: 'status',
          status: {
            status: 'read',
            watermark: new Date(ev.read.watermark),
            providerChatId: sender,
            recipientId: sender,
            timestamp,
          },
        },
      };
    }
    // Instagram messaging_seen names the last message read
    return {
      providerEventId: `read:${sender}:${ev.read.mid}`,
      payload,
      result: ev.read.mid
        ? {
            kind: 'status',
            status: {
              status: 'read',
              watermark: timestamp,
              providerChatId: sender,
              recipientId: sender,
              timestamp,
            },
          }
        : { kind: 'skip', reason: 'read_without_watermark' },
    };
  }
  const base = (providerMessageId: string, type: string): InboundMessage => ({
    providerMessageId,
    chat: { id: sender, type: 'private' },
    from: { id: sender },
    type,
    timestamp,
  });
  if (ev.reaction) {
    const r = ev.reaction;
    const id = `${r.mid}:${r.action}:${r.reaction ?? r.emoji ?? ''}:${sender}:${ev.timestamp}`;
    return {
      providerEventId: `reaction:${id}`,
      payload,
      result: r.mid
        ? {
            kind: 'message',
            message: {
              ...base(`reaction:${id}`, 'reaction'),
              reaction: {
                messageId: r.mid,
                emoji: r.action === 'unreact' ? '' : (r.emoji ?? r.reaction ?? ''),
              },
            },
          }
        : { kind: 'skip', reason: 'reaction_without_mid' },
    };
  }
  if (ev.postback) {
    const p = ev.postback;
    const id = p.mid ?? `postback:${sender}:${ev.timestamp}`;
    return {
      providerEventId: id,
      payload,
      result: {
        kind: 'message',
        message: {
          ...base(id, 'interactive'),
          text: p.title ?? p.payload ?? '',
          interactive: { type: 'postback', title: p.title, payload: p.payload },
        },
      },
    };
  }
  if (ev.message_edit?.mid) {
    return {
      providerEventId: `edit:${ev.message_edit.mid}:${ev.timestamp}`,
      payload,
      result: {
        kind: 'message',
        message: {
          ...base(ev.message_edit.mid, 'text'),
          text: ev.message_edit.text ?? '',
          editedAt: timestamp,
        },
      },
    };
  }
  const msg = ev.message;
  if (!msg) {
    const kind = Object.keys(ev).find((k) => !['sender', 'recipient', 'timestamp'].includes(k)) ?? 'unknown';
    return {
      providerEventId: contentId(kind, ev),
      payload,
      result: { kind: 'skip', reason: `unmodeled_event:${kind}` },
    };
  }
  const mid = msg.mid ?? contentId('message', ev);
  if (msg.is_deleted) {
    return {
      providerEventId: `deleted:${mid}`,
      payload,
      result: { kind: 'skip', reason: 'unmodeled_message:deleted' },
    };
  }
  // an echo is a message our Page sent: the chat is with the recipient
  const echo = !!msg.is_echo;
  const m: InboundMessage = echo
    ? { ...base(mid, 'text'), chat: { id: recipient, type: 'private' }, fromMe: true }
    : base(mid, 'text');
  Object.assign(m, content(msg));
  if (msg.reply_to?.mid) m.replyTo = msg.reply_to.mid;
  return { providerEventId: mid, payload, result: { kind: 'message', message: m } };
}

function content(msg: NonNullable<MsEvent['message']>): Partial<InboundMessage> {
  if (msg.is_unsupported) return { type: 'unsupported', unsupportedKind: 'is_unsupported' };
  const a = msg.attachments?.[0];
  const text = msg.text !== undefined ? { text: msg.text } : {};
  const quick = msg.quick_reply
    ? { interactive: { type: 'quick_reply', payload: msg.quick_reply.payload } }
    : {};
  if (!a) return { type: 'text', text: msg.text ?? '', ...quick };
  const payload = typeof a.payload === 'object' && a.payload ? a.payload : {};
  if (msg.sticker_id || payload.sticker_id) {
    return { type: 'sticker', ...text, ...(payload.url ? { media: { providerMediaId: payload.url } } : {}) };
  }
  if (a.type === 'location' && payload.coordinates) {
    const { lat, long } = payload.coordinates;
    if (typeof lat === 'number' && typeof long === 'number') {
      return { type: 'location', ...text, location: { latitude: lat, longitude: long } };
    }
  }
  const mediaType = a.type ? MEDIA_TYPES[a.type] : undefined;
  if (mediaType && payload.url) {
    const media: InboundMedia = { providerMediaId: payload.url };
    return { type: mediaType, ...text, media };
  }
  return { type: 'unsupported', unsupportedKind: a.type ?? 'attachment', ...text };
}

function str(v: string | number | undefined): string {
  return v === undefined ? '' : String(v);
}

/** Messenger timestamps are ms epoch numbers. */
function ms(v: number | undefined): Date {
  return typeof v === 'number' && v > 0 ? new Date(v) : new Date();
}

function contentId(kind: string, value: unknown): string {
  return `${kind}:${createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32)}`;
}
