import { createPublicKey, KeyObject, verify } from 'node:crypto';
import type { InboundMessage, MessageOrSkip } from '../normalized';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo: SEQ{SEQ{OID 1.3.101.112}, BIT STRING(33)}. */
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

/** The application's hex public key (Developer Portal → General Information) as a KeyObject. */
export function discordPublicKey(hex: string): KeyObject {
  const raw = Buffer.from(hex, 'hex');
  if (raw.length !== 32) throw new Error('a Discord public key is 32 bytes of hex');
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
}

/**
 * `X-Signature-Ed25519` over `X-Signature-Timestamp` + the raw body exactly as received
 * (interactions/overview.mdx; slack-discord.md §D). False for anything malformed; never throws.
 */
export function verifyDiscordSignature(
  rawBody: Buffer,
  signatureHex: unknown,
  timestamp: unknown,
  key: KeyObject,
): boolean {
  if (typeof signatureHex !== 'string' || !/^[0-9a-f]{128}$/i.test(signatureHex)) return false;
  if (typeof timestamp !== 'string' || timestamp.length === 0) return false;
  try {
    return verify(
      null,
      Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]),
      key,
      Buffer.from(signatureHex, 'hex'),
    );
  } catch {
    return false;
  }
}

/** Interaction types (receiving-and-responding.mdx). */
export const InteractionType = {
  PING: 1,
  APPLICATION_COMMAND: 2,
  MESSAGE_COMPONENT: 3,
  APPLICATION_COMMAND_AUTOCOMPLETE: 4,
  MODAL_SUBMIT: 5,
} as const;

/** Interaction callback types. */
export const InteractionResponse = {
  PONG: 1,
  DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: 5,
  DEFERRED_UPDATE_MESSAGE: 6,
  APPLICATION_COMMAND_AUTOCOMPLETE_RESULT: 8,
} as const;

interface InteractionUser {
  id: string;
  username?: string;
  global_name?: string | null;
  bot?: boolean;
}

export interface DiscordInteraction {
  id: string;
  type: number;
  application_id?: string;
  token?: string;
  guild_id?: string;
  channel_id?: string;
  channel?: { id: string };
  member?: { nick?: string | null; user?: InteractionUser };
  user?: InteractionUser;
  data?: {
    id?: string;
    name?: string;
    type?: number;
    custom_id?: string;
    component_type?: number;
    values?: string[];
    options?: { name: string; type: number; value?: unknown; options?: unknown[] }[];
    components?: unknown[];
  };
}

const KIND: Record<number, string> = {
  [InteractionType.APPLICATION_COMMAND]: 'application_command',
  [InteractionType.MESSAGE_COMPONENT]: 'message_component',
  [InteractionType.MODAL_SUBMIT]: 'modal_submit',
};

/**
 * An interaction → an `interactive` message (application commands, buttons/selects, modals) with
 * `interactive: {type, id, title, payload}`; `payload` is the JSON of the options / values /
 * components. The interaction `token` (valid 15 min for follow-ups) stays in the archived payload.
 */
export function normalizeDiscordInteraction(i: DiscordInteraction): MessageOrSkip {
  const kind = KIND[i.type];
  if (!kind) return { kind: 'skip', reason: `unsupported_interaction:${i.type}` };
  const channelId = i.channel_id ?? i.channel?.id;
  const user = i.member?.user ?? i.user;
  if (!channelId || !user?.id)
    return { kind: 'skip', reason: 'malformed_payload:interaction without channel or user' };
  const data = i.data ?? {};
  const options = (data.options ?? []).map((o) => `${o.name}=${String(o.value ?? '')}`).join(' ');
  const text =
    i.type === InteractionType.APPLICATION_COMMAND
      ? `/${data.name ?? ''}${options ? ` ${options}` : ''}`
      : (data.values?.join(', ') ?? data.custom_id ?? '');
  const payload = data.options ?? data.values ?? data.components;
  const message: InboundMessage = {
    providerMessageId: `interaction:${i.id}`,
    chat: { id: channelId, type: i.guild_id ? 'group' : 'private' },
    from: {
      id: user.id,
      name: i.member?.nick || user.global_name || user.username || undefined,
      username: user.username,
      isBot: !!user.bot,
    },
    type: 'interactive',
    text,
    interactive: {
      type: kind,
      id: data.custom_id ?? data.id,
      ...(data.name ? { title: data.name } : {}),
      ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
    },
    timestamp: new Date(),
  };
  return { kind: 'message', message };
}
