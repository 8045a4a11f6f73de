import type { ContactCard, InboundMessage, InboundParty, MessageOrSkip } from '../normalized';
import { toContactCard, vCardToContactCard } from '../vcard';
import {
  array,
  bool,
  epochSeconds,
  int,
  num,
  object,
  Schema,
  shapeCheck,
  str,
  strId,
  token,
} from '../payload-shape';

/* Telegram Bot API wire shapes we read (PROVIDERS.md §1.3; grammyjs/types message.ts). */
type TgUser = { id: number; is_bot?: boolean; first_name?: string; last_name?: string; username?: string };
type TgChat = {
  id: number;
  type: string;
  title?: string;
  first_name?: string;
  last_name?: string;
  username?: string;
};
type TgFile = {
  file_id: string;
  file_unique_id?: string;
  file_size?: number;
  mime_type?: string;
  file_name?: string;
  width?: number;
  height?: number;
  duration?: number;
};
export type TgMessage = {
  message_id: number;
  from?: TgUser;
  sender_chat?: TgChat;
  chat: TgChat;
  date: number;
  edit_date?: number;
  text?: string;
  caption?: string;
  photo?: TgFile[];
  video?: TgFile;
  animation?: TgFile;
  video_note?: TgFile;
  audio?: TgFile & { title?: string; performer?: string };
  voice?: TgFile;
  document?: TgFile;
  sticker?: TgFile & { emoji?: string; is_animated?: boolean; is_video?: boolean };
  location?: { latitude: number; longitude: number };
  venue?: { location: { latitude: number; longitude: number }; title?: string; address?: string };
  contact?: {
    phone_number: string;
    first_name: string;
    last_name?: string;
    user_id?: number;
    vcard?: string;
  };
  reply_to_message?: { message_id: number; chat?: TgChat };
  forward_origin?: unknown;
  forward_from?: unknown;
  forward_from_chat?: unknown;
  forward_date?: number;
  [key: string]: unknown;
};
export type TgUpdate = { update_id: number; [kind: string]: unknown };

/** Update kinds that carry a Message we store. */
const MESSAGE_KINDS = [
  'message',
  'edited_message',
  'channel_post',
  'edited_channel_post',
  'business_message',
  'edited_business_message',
] as const;

/* The fields normalizeTelegramUpdate reads, with the types it reads them as (payload-shape.ts). */
const tgUser = object({ id: int, is_bot: bool, first_name: str, last_name: str, username: str }, ['id']);
const tgChat = object({ id: int, type: token, title: str, first_name: str, last_name: str, username: str }, [
  'id',
  'type',
]);
const tgFileProperties: Record<string, Schema> = {
  file_id: strId,
  file_unique_id: str,
  file_size: int,
  mime_type: str,
  file_name: str,
  width: int,
  height: int,
  duration: int,
};
const tgFile = object(tgFileProperties, ['file_id']);
const tgLocation = object({ latitude: num, longitude: num }, ['latitude', 'longitude']);
const tgMessage = object(
  {
    message_id: int,
    from: tgUser,
    sender_chat: tgChat,
    chat: tgChat,
    date: epochSeconds,
    edit_date: epochSeconds,
    text: str,
    caption: str,
    photo: array(tgFile),
    video: tgFile,
    animation: tgFile,
    video_note: tgFile,
    audio: object({ ...tgFileProperties, title: str, performer: str }, ['file_id']),
    voice: tgFile,
    document: tgFile,
    sticker: object({ ...tgFileProperties, emoji: str, is_animated: bool, is_video: bool }, ['file_id']),
    location: tgLocation,
    venue: object({ location: tgLocation, title: str, address: str }, ['location']),
    contact: object({ phone_number: str, first_name: str, last_name: str, user_id: int, vcard: str }, [
      'phone_number',
      'first_name',
    ]),
    reply_to_message: object({ message_id: int, chat: tgChat }, ['message_id']),
  },
  ['message_id', 'chat', 'date'],
);
const checkUpdate = shapeCheck(
  object(
    {
      update_id: int,
      ...Object.fromEntries(MESSAGE_KINDS.map((k) => [k, tgMessage])),
      message_reaction: object(
        {
          chat: tgChat,
          message_id: int,
          user: tgUser,
          actor_chat: tgChat,
          date: epochSeconds,
          new_reaction: array(object({ type: token, emoji: str, custom_emoji_id: str }, ['type'])),
        },
        ['chat', 'message_id', 'date', 'new_reaction'],
      ),
    },
    ['update_id'],
  ),
);

/** Message keys that are service notices (member joined, pinned, ...), not something a person wrote. */
const SERVICE_KEYS = [
  'new_chat_members',
  'left_chat_member',
  'new_chat_title',
  'new_chat_photo',
  'delete_chat_photo',
  'group_chat_created',
  'supergroup_chat_created',
  'channel_chat_created',
  'message_auto_delete_timer_changed',
  'migrate_to_chat_id',
  'migrate_from_chat_id',
  'pinned_message',
  'connected_website',
  'write_access_allowed',
  'proximity_alert_triggered',
  'boost_added',
  'chat_background_set',
  'forum_topic_created',
  'forum_topic_edited',
  'forum_topic_closed',
  'forum_topic_reopened',
  'general_forum_topic_hidden',
  'general_forum_topic_unhidden',
  'video_chat_scheduled',
  'video_chat_started',
  'video_chat_ended',
  'video_chat_participants_invited',
  'users_shared',
  'chat_shared',
  'web_app_data',
  'giveaway_created',
  'giveaway_completed',
  'chat_owner_left',
  'chat_owner_changed',
  'checklist_tasks_done',
  'checklist_tasks_added',
  'direct_message_price_changed',
  'refunded_payment',
  'successful_payment',
  'passport_data',
];

/** Content keys we don't map to a normalized type: stored as `unsupported` with the kind named. */
const UNSUPPORTED_CONTENT_KEYS = [
  'game',
  'invoice',
  'poll',
  'dice',
  'story',
  'paid_media',
  'giveaway',
  'giveaway_winners',
  'checklist',
];

const chatType = (t: string): 'private' | 'group' | 'channel' =>
  t === 'private' ? 'private' : t === 'channel' ? 'channel' : 'group';

const fullName = (p: { first_name?: string; last_name?: string; title?: string }): string | undefined =>
  [p.first_name, p.last_name].filter(Boolean).join(' ') || p.title || undefined;

/** Telegram message ids are unique per chat only, so ours are `<chat_id>:<message_id>`. */
export const telegramMessageId = (chatId: number | string, messageId: number | string): string =>
  `${chatId}:${messageId}`;

/** Inverse of telegramMessageId; a bare number is taken as a message_id in `chatId`. */
export function parseTelegramMessageId(id: string): { chatId?: string; messageId: number } | null {
  const m = /^(?:(-?\d+|@\w+):)?(\d+)$/.exec(id);
  return m ? { chatId: m[1], messageId: Number(m[2]) } : null;
}

function sender(msg: TgMessage): InboundParty {
  if (msg.from) {
    return {
      id: String(msg.from.id),
      name: fullName(msg.from),
      username: msg.from.username,
      isBot: msg.from.is_bot,
    };
  }
  const chat = msg.sender_chat ?? msg.chat;
  return { id: String(chat.id), name: fullName(chat), username: chat.username };
}

function file(f: TgFile, caption?: string) {
  return {
    providerMediaId: f.file_id,
    mimeType: f.mime_type,
    fileName: f.file_name,
    size: f.file_size,
    caption,
    width: f.width,
    height: f.height,
    duration: f.duration,
  };
}

/** Maps the content of one Message to normalized fields, or a skip reason for service messages. */
function content(msg: TgMessage): Partial<InboundMessage> | { skip: string } {
  const caption = msg.caption;
  if (msg.text !== undefined) return { type: 'text', text: msg.text };
  if (msg.photo?.length) {
    const largest = msg.photo[msg.photo.length - 1];
    return { type: 'image', text: caption, media: { ...file(largest, caption), mimeType: 'image/jpeg' } };
  }
  if (msg.animation)
    return { type: 'video', text: caption, media: { ...file(msg.animation, caption), animated: true } };
  if (msg.video) return { type: 'video', text: caption, media: file(msg.video, caption) };
  if (msg.video_note) return { type: 'video', media: { ...file(msg.video_note), mimeType: 'video/mp4' } };
  if (msg.voice) return { type: 'voice', text: caption, media: file(msg.voice, caption) };
  if (msg.audio) return { type: 'audio', text: caption, media: file(msg.audio, caption) };
  if (msg.sticker) {
    return {
      type: 'sticker',
      text: msg.sticker.emoji,
      media: { ...file(msg.sticker), animated: !!(msg.sticker.is_animated || msg.sticker.is_video) },
    };
  }
  if (msg.document) return { type: 'document', text: caption, media: file(msg.document, caption) };
  if (msg.venue) {
    return {
      type: 'location',
      location: { ...msg.venue.location, name: msg.venue.title, address: msg.venue.address },
    };
  }
  if (msg.location)
    return {
      type: 'location',
      location: { latitude: msg.location.latitude, longitude: msg.location.longitude },
    };
  if (msg.contact) return { type: 'contacts', contacts: [fromTelegramContact(msg.contact)] };
  const service = SERVICE_KEYS.find((k) => k in msg);
  if (service) return { skip: `service_message:${service}` };
  const kind = UNSUPPORTED_CONTENT_KEYS.find((k) => k in msg) ?? 'unknown';
  return { type: 'unsupported', text: caption, unsupportedKind: kind };
}

/**
 * One Telegram Update → one normalized inbound message, or a skip with its reason (update kinds
 * we don't handle, service messages). Edits keep the original providerMessageId and set editedAt.
 * An update that does not fit the Bot API's shapes (no integer update_id, a message without
 * chat, `photo: "x"`) is a `malformed_payload` skip naming the first misfit.
 */
export function normalizeTelegramUpdate(update: TgUpdate): MessageOrSkip {
  const bad = checkUpdate(update);
  if (bad) return { kind: 'skip', reason: bad };
  const kind = MESSAGE_KINDS.find((k) => update[k] !== undefined);
  if (!kind) {
    if (update.message_reaction) return normalizeReaction(update.message_reaction as ReactionUpdate);
    const other = Object.keys(update).find((k) => k !== 'update_id') ?? 'empty';
    return { kind: 'skip', reason: `unsupported_update:${other}` };
  }
  const msg = update[kind] as TgMessage;
  const mapped = content(msg);
  if ('skip' in mapped) return { kind: 'skip', reason: mapped.skip };
  const edited = kind.startsWith('edited_');
  return {
    kind: 'message',
    message: {
      providerMessageId: telegramMessageId(msg.chat.id, msg.message_id),
      chat: { id: String(msg.chat.id), type: chatType(msg.chat.type), title: fullName(msg.chat) },
      from: sender(msg),
      type: mapped.type ?? 'unsupported',
      ...mapped,
      replyTo: msg.reply_to_message
        ? telegramMessageId(msg.reply_to_message.chat?.id ?? msg.chat.id, msg.reply_to_message.message_id)
        : undefined,
      forwarded: !!(msg.forward_origin || msg.forward_from || msg.forward_from_chat || msg.forward_date),
      editedAt: edited ? new Date((msg.edit_date ?? msg.date) * 1000) : undefined,
      timestamp: new Date(msg.date * 1000),
    },
  };
}

type ReactionUpdate = {
  chat: TgChat;
  message_id: number;
  user?: TgUser;
  actor_chat?: TgChat;
  date: number;
  new_reaction: { type: string; emoji?: string; custom_emoji_id?: string }[];
};

function normalizeReaction(r: ReactionUpdate): MessageOrSkip {
  const actor = r.user ?? r.actor_chat ?? r.chat;
  const emoji = r.new_reaction.map((x) => x.emoji ?? x.custom_emoji_id ?? '').join('');
  return {
    kind: 'message',
    message: {
      providerMessageId: `${telegramMessageId(r.chat.id, r.message_id)}:reaction:${actor.id}:${r.date}`,
      chat: { id: String(r.chat.id), type: chatType(r.chat.type), title: fullName(r.chat) },
      from: { id: String(actor.id), name: fullName(actor), username: actor.username },
      type: 'reaction',
      reaction: { messageId: telegramMessageId(r.chat.id, r.message_id), emoji },
      timestamp: new Date(r.date * 1000),
    },
  };
}

/**
 * A Telegram `Contact` → the normalized card: `phone_number` / `first_name` / `last_name` /
 * `user_id` as sent, and everything else read from its `vcard` (vcard.ts: name parts, every
 * phone with its type, emails, org, urls, addresses, birthday). `phone_number` comes first among
 * `phones` when the vCard does not list it (compared by digits). The vCard text is kept as received.
 */
export function fromTelegramContact(
  c: NonNullable<TgMessage['contact']>,
): ContactCard & { providerContactId?: string } {
  const fromVCard = c.vcard ? vCardToContactCard(c.vcard) : null;
  const card = toContactCard({
    ...fromVCard,
    name: fullName(c) ?? fromVCard?.name ?? c.phone_number,
    firstName: c.first_name,
    lastName: c.last_name ?? fromVCard?.lastName,
    phone: c.phone_number,
    phones: fromVCard?.phones,
    vcard: c.vcard,
  });
  return { ...card, ...(c.user_id !== undefined ? { providerContactId: String(c.user_id) } : {}) };
}
