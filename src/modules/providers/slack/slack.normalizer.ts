import type { InboundMedia, InboundMessage, InboundResult } from '../normalized';
import { isObject, malformedItem, object, shapeCheck, str, strId, token } from '../payload-shape';
import { emojiFromSlackName } from './slack-emoji';

export { SLACK } from './slack.client';

/**
 * Slack Events API → normalized inbound (PROVIDERS.md §5.2; slack-discord.md C4/C5). The same
 * `event_callback` envelope arrives over HTTP and inside Socket Mode `events_api` envelopes.
 *
 * Ids: Slack's `ts` is unique per conversation only, so our message ids are `<channel>:<ts>`
 * (like Telegram's `<chat_id>:<message_id>`). The dedupe key of an item is the envelope's
 * `event_id` (stable across retries); a mention delivered both as `app_mention` and as `message`
 * (two event_ids) maps to one `<channel>:<ts>` and is stored once.
 */

/** Who "we" are in the workspace (auth.test), to skip our own messages. */
export interface SlackSelf {
  /** auth.test `user_id` (the bot user, `U…`). */
  userId?: string | null;
  /** auth.test `bot_id` (`B…`). */
  botId?: string | null;
}

export interface SlackFile {
  id?: string;
  name?: string;
  title?: string;
  mimetype?: string;
  filetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
  original_w?: number;
  original_h?: number;
  duration_ms?: number;
}

export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel?: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  event_ts?: string;
  hidden?: boolean;
  files?: SlackFile[];
  user_profile?: { display_name?: string; real_name?: string; name?: string };
  message?: SlackMessageEvent & { edited?: { user?: string; ts?: string } };
  previous_message?: SlackMessageEvent;
  deleted_ts?: string;
  reaction?: string;
  item?: { type?: string; channel?: string; ts?: string };
  [k: string]: unknown;
}

/** The Events API `event_callback` envelope (and `url_verification`). */
export interface SlackEnvelope {
  type: string;
  event_id?: string;
  event_time?: number;
  team_id?: string;
  api_app_id?: string;
  challenge?: string;
  event?: SlackMessageEvent;
  [k: string]: unknown;
}

export interface SlackInboundItem {
  providerEventId: string;
  payload: object;
  result: InboundResult;
}

/** `<channel>:<ts>`: our id of a Slack message. */
export const slackMessageId = (channel: string, ts: string): string => `${channel}:${ts}`;

/** Inverse of slackMessageId; a bare `ts` is taken as a message in `defaultChannel`. */
export function parseSlackMessageId(
  id: string,
  defaultChannel?: string,
): { channel: string; ts: string } | null {
  const m = /^(?:([CDGW][A-Z0-9]{2,}):)?(\d{1,12}\.\d{1,9})$/.exec(id);
  if (!m) return null;
  const channel = m[1] ?? defaultChannel;
  return channel ? { channel, ts: m[2] } : null;
}

/** Slack `ts` (`"1355517523.000005"`, seconds) → Date. */
const tsDate = (ts: string | undefined, fallbackSeconds?: number): Date => {
  const n = Number(ts);
  if (ts && Number.isFinite(n) && n > 0) return new Date(Math.floor(n * 1000));
  return fallbackSeconds ? new Date(fallbackSeconds * 1000) : new Date();
};

/** `im` and `D…` conversations are 1:1; channels, private channels and group DMs are groups. */
function chatType(channel: string, channelType?: string): 'private' | 'group' {
  if (channelType) return channelType === 'im' ? 'private' : 'group';
  return channel.startsWith('D') ? 'private' : 'group';
}

function mediaType(mime: string | undefined): 'image' | 'video' | 'audio' | 'document' {
  if (mime?.startsWith('image/')) return 'image';
  if (mime?.startsWith('video/')) return 'video';
  if (mime?.startsWith('audio/')) return 'audio';
  return 'document';
}

function fileMedia(f: SlackFile): InboundMedia | undefined {
  if (!f.id) return undefined;
  return {
    providerMediaId: f.id,
    ...(f.mimetype ? { mimeType: f.mimetype } : {}),
    ...(f.name ? { fileName: f.name } : {}),
    ...(typeof f.size === 'number' ? { size: f.size } : {}),
    ...(typeof f.original_w === 'number' ? { width: f.original_w } : {}),
    ...(typeof f.original_h === 'number' ? { height: f.original_h } : {}),
    ...(typeof f.duration_ms === 'number' ? { duration: f.duration_ms / 1000 } : {}),
  };
}

/** Display name as Slack shows it: display_name, else real name, else the handle (slack-discord.md C5). */
export function slackDisplayName(p?: {
  display_name?: string;
  real_name?: string;
  name?: string;
}): string | undefined {
  return p?.display_name || p?.real_name || p?.name || undefined;
}

/** Subtypes that carry a person's message. */
const STORED_SUBTYPES = new Set(['', 'file_share', 'thread_broadcast', 'me_message']);

const checkEnvelope = shapeCheck(
  object(
    {
      type: token,
      event_id: strId,
      event_time: { type: 'number' },
      event: object(
        {
          type: token,
          subtype: token,
          channel: strId,
          user: strId,
          bot_id: strId,
          text: str,
          ts: strId,
          thread_ts: strId,
          event_ts: strId,
          deleted_ts: strId,
          files: { type: 'array', items: { type: 'object' } },
          message: { type: 'object' },
          item: { type: 'object' },
        },
        ['type'],
      ),
    },
    ['type', 'event_id', 'event'],
  ),
);

/**
 * One `event_callback` envelope → one item (store / edit / named skip).
 * Skip reasons: `bot_message`, `own_message`, `message_replied` (thread-parent metadata),
 * `hidden:<subtype>`, `unsupported_subtype:<subtype>`, `unsupported_event:<type>`,
 * `message_changed_without_edit` (reply counters and unfurls), `malformed_payload:…`.
 */
export function normalizeSlackEnvelope(body: unknown, self: SlackSelf = {}): SlackInboundItem {
  const bad = checkEnvelope(body);
  if (bad) return malformedItem(body, bad);
  const env = body as SlackEnvelope & { event_id: string; event: SlackMessageEvent };
  if (!env.event_id) return malformedItem(body, 'malformed_payload:/event_id is empty');
  const item = (result: InboundResult): SlackInboundItem => ({
    providerEventId: env.event_id,
    payload: env,
    result,
  });
  return item(normalizeSlackEvent(env.event, self, env.event_time));
}

/**
 * All items of one envelope: {@link normalizeSlackEnvelope}, plus one media message per further
 * file of a multi-file share (`<channel>:<ts>:<file id>`, dedupe key `<event_id>:<file id>`,
 * same sender, thread and time), so no file of a message is dropped.
 */
export function normalizeSlackEnvelopeItems(body: unknown, self: SlackSelf = {}): SlackInboundItem[] {
  const first = normalizeSlackEnvelope(body, self);
  const event = (body as { event?: SlackMessageEvent }).event;
  if (first.result.kind !== 'message' || first.result.message.editedAt || !Array.isArray(event?.files)) {
    return [first];
  }
  const base = first.result.message;
  const files = event.files.filter((f) => isObject(f) && f.id && f.id !== base.media?.providerMediaId);
  return [
    first,
    ...files.map((f) => {
      const media = fileMedia(f)!;
      return {
        providerEventId: `${first.providerEventId}:${f.id}`,
        payload: first.payload,
        result: {
          kind: 'message' as const,
          message: {
            ...base,
            providerMessageId: `${base.providerMessageId}:${f.id}`,
            type: mediaType(media.mimeType),
            media,
            text: undefined,
          },
        },
      };
    }),
  ];
}

/** One Events API `event` object → normalized result (see {@link normalizeSlackEnvelope}). */
export function normalizeSlackEvent(
  e: SlackMessageEvent,
  self: SlackSelf,
  eventTime?: number,
): InboundResult {
  const skip = (reason: string): InboundResult => ({ kind: 'skip', reason });
  if (e.type === 'reaction_added' || e.type === 'reaction_removed') return reaction(e, self, eventTime);
  if (e.type !== 'message' && e.type !== 'app_mention') return skip(`unsupported_event:${e.type}`);
  const subtype = e.subtype ?? '';
  if (subtype === 'message_changed') return changed(e, self);
  if (subtype === 'message_deleted') return deleted(e, eventTime);
  if (subtype === 'bot_message') return skip('bot_message');
  if (subtype === 'message_replied') return skip('message_replied');
  if (e.bot_id) return skip(e.bot_id === self.botId ? 'own_message' : 'bot_message');
  if (self.userId && e.user === self.userId) return skip('own_message');
  if (e.hidden) return skip(`hidden:${subtype || 'message'}`);
  if (!STORED_SUBTYPES.has(subtype)) return skip(`unsupported_subtype:${subtype}`);
  if (!e.channel || !e.ts) return skip('malformed_payload:/event has no channel or ts');
  if (!e.user) return skip('malformed_payload:/event/user is missing');
  return { kind: 'message', message: toMessage(e, e.channel) };
}

function toMessage(e: SlackMessageEvent, channel: string): InboundMessage {
  const ts = e.ts!;
  const file = (e.files ?? []).find((f) => isObject(f) && f.id);
  const media = file ? fileMedia(file) : undefined;
  const text = e.text || undefined;
  const name = slackDisplayName(e.user_profile);
  return {
    providerMessageId: slackMessageId(channel, ts),
    chat: { id: channel, type: chatType(channel, e.channel_type) },
    from: { id: e.user!, ...(name ? { name } : {}) },
    type: media ? mediaType(media.mimeType) : 'text',
    ...(media ? { media: text ? { ...media, caption: text } : media } : {}),
    ...(text ? { text } : {}),
    ...(e.thread_ts && e.thread_ts !== ts ? { replyTo: slackMessageId(channel, e.thread_ts) } : {}),
    timestamp: tsDate(ts),
  };
}

/** `message_changed`: the new version in `message` updates the row keyed `<channel>:<message.ts>`. */
function changed(e: SlackMessageEvent, self: SlackSelf): InboundResult {
  const m = e.message;
  if (!e.channel || !isObject(m) || !m.ts)
    return { kind: 'skip', reason: 'malformed_payload:/event/message has no ts' };
  if (m.subtype === 'bot_message' || m.bot_id)
    return { kind: 'skip', reason: m.bot_id && m.bot_id === self.botId ? 'own_message' : 'bot_message' };
  if (!m.user) return { kind: 'skip', reason: 'malformed_payload:/event/message/user is missing' };
  if (self.userId && m.user === self.userId) return { kind: 'skip', reason: 'own_message' };
  const prev = e.previous_message;
  if (!m.edited && isObject(prev) && prev.text === m.text) {
    return { kind: 'skip', reason: 'message_changed_without_edit' };
  }
  const message = toMessage({ ...m, channel_type: e.channel_type }, e.channel);
  message.editedAt = tsDate(m.edited?.ts ?? e.ts);
  return { kind: 'message', message };
}

/** `message_deleted`: the row keyed `<channel>:<deleted_ts>` becomes type `deleted`, text cleared. */
function deleted(e: SlackMessageEvent, eventTime?: number): InboundResult {
  const ts = e.deleted_ts || e.previous_message?.ts;
  if (!e.channel || !ts) return { kind: 'skip', reason: 'malformed_payload:/event/deleted_ts is missing' };
  const user = e.previous_message?.user || e.user;
  return {
    kind: 'message',
    message: {
      providerMessageId: slackMessageId(e.channel, ts),
      chat: { id: e.channel, type: chatType(e.channel, e.channel_type) },
      from: { id: user || e.channel },
      type: 'deleted',
      timestamp: tsDate(ts),
      editedAt: tsDate(e.event_ts ?? e.ts, eventTime),
    },
  };
}

/** `reaction_added` / `reaction_removed` on a message → a `reaction` message (removed: emoji ''). */
function reaction(e: SlackMessageEvent, self: SlackSelf, eventTime?: number): InboundResult {
  const item = e.item;
  if (!isObject(item) || item.type !== 'message')
    return { kind: 'skip', reason: `unsupported_reaction_item:${String(item?.type)}` };
  if (!item.channel || !item.ts || !e.user || !e.reaction)
    return { kind: 'skip', reason: 'malformed_payload:/event reaction without channel, ts, user or name' };
  if (self.userId && e.user === self.userId) return { kind: 'skip', reason: 'own_message' };
  const target = slackMessageId(item.channel, item.ts);
  const removed = e.type === 'reaction_removed';
  const at = e.event_ts ?? String(eventTime ?? '');
  return {
    kind: 'message',
    message: {
      providerMessageId: `${target}:reaction:${e.user}:${removed ? '-' : ''}${e.reaction}:${at}`,
      chat: { id: item.channel, type: chatType(item.channel) },
      from: { id: e.user },
      type: 'reaction',
      reaction: { messageId: target, emoji: removed ? '' : emojiFromSlackName(e.reaction) },
      timestamp: tsDate(e.event_ts, eventTime),
    },
  };
}
