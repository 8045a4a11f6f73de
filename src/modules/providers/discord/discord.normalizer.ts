import { createHash } from 'node:crypto';
import type { InboundMedia, InboundMessage, MessageOrSkip } from '../normalized';

/**
 * Discord Gateway dispatches → the normalized model (PROVIDERS.md §6.2; slack-discord.md §B1).
 * Message ids are unique per channel only, so every message id we store is `<channel_id>:<id>`.
 */

/** Dispatch types the Gateway connection archives and ingests; every other dispatch is ignored. */
export const DISCORD_INGESTED_EVENTS = new Set([
  'MESSAGE_CREATE',
  'MESSAGE_UPDATE',
  'MESSAGE_DELETE',
  'MESSAGE_REACTION_ADD',
]);

/** MESSAGE_CONTENT privileged intent (1 << 15). */
export const MESSAGE_CONTENT_INTENT = 1 << 15;

/** Why a guild message arrived empty: the bot lacks the MESSAGE_CONTENT intent. */
export const NO_CONTENT_INTENT_REASON = 'message_content_intent_missing';

export interface DiscordNormalizeOptions {
  /** Our bot's user id: its own messages and reactions are skipped. */
  botUserId?: string;
  /** The IDENTIFY intents (to tell "empty because of a missing intent" from "empty"). */
  intents?: number;
}

export interface DiscordUser {
  id: string;
  username?: string;
  global_name?: string | null;
  bot?: boolean;
}

export interface DiscordAttachment {
  id: string;
  filename?: string;
  description?: string;
  content_type?: string;
  size?: number;
  url?: string;
  height?: number | null;
  width?: number | null;
  duration_secs?: number;
  flags?: number;
}

export interface DiscordMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  type?: number;
  content?: string;
  author?: DiscordUser;
  member?: { nick?: string | null; user?: DiscordUser };
  timestamp?: string;
  edited_timestamp?: string | null;
  attachments?: DiscordAttachment[];
  embeds?: { title?: string; description?: string; url?: string }[];
  sticker_items?: { id: string; name: string; format_type: number }[];
  message_reference?: { type?: number; message_id?: string; channel_id?: string; guild_id?: string };
  message_snapshots?: { message: Partial<DiscordMessage> }[];
  webhook_id?: string;
  flags?: number;
  channel_type?: number;
}

/** `<channel_id>:<message_id>`: Discord message ids are unique per channel only. */
export function discordMessageId(channelId: string, messageId: string): string {
  return `${channelId}:${messageId}`;
}

/** Our stored id (`<channel>:<message>`) or a bare snowflake (then `channel` is the fallback). */
export function parseDiscordMessageId(
  id: string,
  channel?: string,
): { channelId: string; messageId: string } | null {
  const scoped = /^(\d{15,21}):(\d{15,21})$/.exec(id);
  if (scoped) return { channelId: scoped[1], messageId: scoped[2] };
  if (/^\d{15,21}$/.test(id) && channel && /^\d{15,21}$/.test(channel)) {
    return { channelId: channel, messageId: id };
  }
  return null;
}

/** Message types a person writes (DEFAULT, REPLY); the rest are system notices (pins, joins, ...). */
const PERSON_TYPES = new Set([0, 19]);
/** Message flag IS_VOICE_MESSAGE (1 << 13). */
const VOICE_FLAG = 1 << 13;
/** sticker `format_type` → MIME type (sticker.mdx). */
const STICKER_MIME: Record<number, string> = {
  1: 'image/png',
  2: 'image/apng',
  3: 'application/json',
  4: 'image/gif',
};

/**
 * One dispatch (`t` + `d`) → a stored message or a named skip, with its dedupe id.
 * Never throws: a `d` that is not the documented shape is a `malformed_payload:` skip.
 */
export function normalizeDiscordDispatch(
  t: string,
  d: unknown,
  opts: DiscordNormalizeOptions = {},
): { providerEventId: string; result: MessageOrSkip } {
  const data = (d && typeof d === 'object' ? d : {}) as Record<string, unknown>;
  const providerEventId = discordEventId(t, data);
  try {
    return { providerEventId, result: normalize(t, data, opts) };
  } catch (err) {
    return {
      providerEventId,
      result: { kind: 'skip', reason: `malformed_payload:${(err as Error).message}` },
    };
  }
}

/** Dedupe key: Discord may send an event 0..N times (reference.mdx "Consistency"). */
export function discordEventId(t: string, d: Record<string, unknown>): string {
  const channel = String(d.channel_id ?? '');
  switch (t) {
    case 'MESSAGE_CREATE':
    case 'MESSAGE_DELETE':
      return `${t}:${channel}:${String(d.id)}`;
    case 'MESSAGE_UPDATE':
      return `${t}:${channel}:${String(d.id)}:${String(d.edited_timestamp ?? hash(d))}`;
    case 'MESSAGE_REACTION_ADD': {
      const emoji = d.emoji as { id?: string | null; name?: string | null } | undefined;
      return `${t}:${channel}:${String(d.message_id)}:${String(d.user_id)}:${emoji?.id ?? emoji?.name ?? ''}`;
    }
    case 'INTERACTION_CREATE':
      return `${t}:${String(d.id)}`;
    default:
      return `${t}:${hash(d)}`;
  }
}

function hash(d: unknown): string {
  return createHash('sha256').update(JSON.stringify(d)).digest('hex').slice(0, 32);
}

function normalize(t: string, d: Record<string, unknown>, opts: DiscordNormalizeOptions): MessageOrSkip {
  switch (t) {
    case 'MESSAGE_CREATE':
      return message(d as unknown as DiscordMessage, opts, false);
    case 'MESSAGE_UPDATE':
      return message(d as unknown as DiscordMessage, opts, true);
    case 'MESSAGE_DELETE':
      return deleted(d);
    case 'MESSAGE_REACTION_ADD':
      return reaction(d, opts);
    default:
      return { kind: 'skip', reason: `unsupported_event:${t}` };
  }
}

/** Discord's epoch (2015-01-01T00:00:00Z), ms: a snowflake's top 42 bits count ms since it. */
const DISCORD_EPOCH_MS = 1_420_070_400_000n;

/**
 * `MESSAGE_DELETE` `{id, channel_id, guild_id?}`: the row keyed `<channel>:<id>` becomes type
 * `deleted` (as Slack's `message_deleted`); Discord names no deleter, so `from` is the channel.
 */
function deleted(d: Record<string, unknown>): MessageOrSkip {
  const channelId = requireId(d.channel_id, 'channel_id');
  const id = requireId(d.id, 'id');
  return {
    kind: 'message',
    message: {
      providerMessageId: `${channelId}:${id}`,
      chat: { id: channelId, type: d.guild_id ? 'group' : 'private' },
      from: { id: channelId },
      type: 'deleted',
      timestamp: new Date(Number((BigInt(id) >> 22n) + DISCORD_EPOCH_MS)),
      editedAt: new Date(),
    },
  };
}

function requireId(v: unknown, field: string): string {
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new Error(`${field} is not a snowflake`);
  return v;
}

function displayName(user: DiscordUser | undefined, nick?: string | null): string | undefined {
  return nick || user?.global_name || user?.username || undefined;
}

function message(m: DiscordMessage, opts: DiscordNormalizeOptions, update: boolean): MessageOrSkip {
  const channelId = requireId(m.channel_id, 'channel_id');
  const id = requireId(m.id, 'id');
  if (update) {
    // MESSAGE_UPDATE is a full message now, but older ones (and captures) carry only what changed
    if (m.content === undefined || !m.author)
      return { kind: 'skip', reason: 'partial_update_without_content' };
    if (!m.edited_timestamp) return { kind: 'skip', reason: 'update_without_edit' };
  }
  const author = m.author;
  if (!author || typeof author.id !== 'string') throw new Error('author is missing');
  if (opts.botUserId && author.id === opts.botUserId) return { kind: 'skip', reason: 'own_message' };
  if (m.webhook_id) return { kind: 'skip', reason: 'webhook_message' };
  if (author.bot) return { kind: 'skip', reason: 'bot_author' };
  const type = m.type ?? 0;
  if (!PERSON_TYPES.has(type)) return { kind: 'skip', reason: `system_message:${type}` };

  const forward = m.message_reference?.type === 1 ? m.message_snapshots?.[0]?.message : undefined;
  const source: Partial<DiscordMessage> = forward ?? m;
  const text = source.content ?? '';
  const attachment = source.attachments?.[0];
  const sticker = source.sticker_items?.[0];
  const embed = source.embeds?.find((e) => e.title || e.description || e.url);

  let kind: string;
  let media: InboundMedia | undefined;
  if (attachment) {
    kind = attachmentType(attachment, source.flags ?? 0);
    media = {
      providerMediaId: `${channelId}:${id}:${requireId(attachment.id, 'attachments[0].id')}`,
      mimeType: attachment.content_type,
      fileName: attachment.filename,
      size: attachment.size,
      ...(text ? { caption: text } : {}),
      ...(attachment.width ? { width: attachment.width } : {}),
      ...(attachment.height ? { height: attachment.height } : {}),
      ...(attachment.duration_secs !== undefined ? { duration: attachment.duration_secs } : {}),
    };
  } else if (sticker) {
    kind = 'sticker';
    media = {
      providerMediaId: `sticker:${requireId(sticker.id, 'sticker_items[0].id')}`,
      mimeType: STICKER_MIME[sticker.format_type],
      fileName: sticker.name,
      animated: sticker.format_type !== 1,
    };
  } else if (text) {
    kind = 'text';
  } else if (embed) {
    kind = 'text';
  } else if (m.guild_id && opts.intents !== undefined && !(opts.intents & MESSAGE_CONTENT_INTENT)) {
    return { kind: 'skip', reason: NO_CONTENT_INTENT_REASON };
  } else {
    return { kind: 'skip', reason: 'empty_message' };
  }

  const ref = m.message_reference;
  const replyTo =
    !forward && ref?.message_id && (ref.type ?? 0) === 0
      ? discordMessageId(ref.channel_id ?? channelId, ref.message_id)
      : undefined;
  const out: InboundMessage = {
    providerMessageId: discordMessageId(channelId, id),
    chat: { id: channelId, type: m.guild_id ? 'group' : 'private' },
    from: {
      id: author.id,
      name: displayName(author, m.member?.nick),
      username: author.username,
      isBot: !!author.bot,
    },
    type: kind,
    ...(text
      ? { text }
      : embed
        ? { text: [embed.title, embed.description, embed.url].filter(Boolean).join('\n') }
        : {}),
    ...(media ? { media } : {}),
    ...(replyTo ? { replyTo } : {}),
    ...(forward ? { forwarded: true } : {}),
    ...(update ? { editedAt: new Date(m.edited_timestamp as string) } : {}),
    timestamp: m.timestamp ? new Date(m.timestamp) : new Date(),
  };
  if (Number.isNaN(out.timestamp.getTime())) throw new Error('timestamp is not a date');
  return { kind: 'message', message: out };
}

function attachmentType(a: DiscordAttachment, flags: number): string {
  const mime = a.content_type ?? '';
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/'))
    return flags & VOICE_FLAG || a.duration_secs !== undefined ? 'voice' : 'audio';
  return 'document';
}

function reaction(d: Record<string, unknown>, opts: DiscordNormalizeOptions): MessageOrSkip {
  const channelId = requireId(d.channel_id, 'channel_id');
  const messageId = requireId(d.message_id, 'message_id');
  const userId = requireId(d.user_id, 'user_id');
  const member = d.member as { nick?: string | null; user?: DiscordUser } | undefined;
  if (opts.botUserId && userId === opts.botUserId) return { kind: 'skip', reason: 'own_reaction' };
  if (member?.user?.bot) return { kind: 'skip', reason: 'bot_author' };
  const emoji = d.emoji as { id?: string | null; name?: string | null } | undefined;
  if (!emoji || (!emoji.id && !emoji.name)) throw new Error('emoji is missing');
  // custom emoji as Discord writes them in text (`<:name:id>`, `<a:name:id>`), unicode ones as they are
  const text = emoji.id
    ? `<${(emoji as { animated?: boolean }).animated ? 'a' : ''}:${emoji.name ?? ''}:${emoji.id}>`
    : emoji.name!;
  const target = discordMessageId(channelId, messageId);
  return {
    kind: 'message',
    message: {
      providerMessageId: `${target}:reaction:${userId}:${emoji.id ?? emoji.name}`,
      chat: { id: channelId, type: d.guild_id ? 'group' : 'private' },
      from: { id: userId, name: displayName(member?.user, member?.nick), username: member?.user?.username },
      type: 'reaction',
      reaction: { messageId: target, emoji: text },
      timestamp: new Date(),
    },
  };
}
