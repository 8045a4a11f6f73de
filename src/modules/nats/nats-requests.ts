import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { ValidationError } from '../../common/errors/app-error';
import { flattenValidationErrors } from '../../common/errors/validation-exception.factory';
import { RawProviderRequestDto, SendMessageDto } from '../messages/messages.dto';
import type { OutboundType } from '../providers/normalized';

/** The seed's send actions (`<p>.<slug>.out.<action>`) → the normalized message type they send. */
export const SEND_ACTIONS: Record<string, OutboundType> = {
  sendMessage: 'text',
  sendImage: 'image',
  sendDocument: 'document',
  sendVideo: 'video',
  sendAudio: 'audio',
  sendSticker: 'sticker',
  sendLocation: 'location',
  sendContact: 'contacts',
  sendTemplate: 'template',
  sendReaction: 'reaction',
};

/** Every action a `<p>.<slug>.out.<action>` request may name. */
export const ACTIONS = [...Object.keys(SEND_ACTIONS), 'markRead', 'raw'] as const;

/** What one `out` request asks for, validated. */
export type NatsCommand =
  | { kind: 'send'; message: SendMessageDto }
  | { kind: 'markRead'; messageId: string }
  | { kind: 'raw'; request: RawProviderRequestDto };

/** Seed field → normalized field, for the seed's WhatsApp bodies (errors are reported under the seed's names). */
const SEED_FIELDS: Record<string, string> = {
  preview_url: 'previewUrl',
  reply_to: 'replyTo',
  message_id: 'messageId',
  link: 'media.url',
  media_id: 'media.providerMediaId',
};
const SEED_NAMES = Object.fromEntries(Object.entries(SEED_FIELDS).map(([seed, ours]) => [ours, seed]));

/** The keys each seed body may have (seeds/whatsapp-cloud-connector.md § исходящие запросы). */
const SEED_KEYS: Record<string, string[]> = {
  sendMessage: ['to', 'text', 'preview_url', 'reply_to'],
  sendLocation: ['to', 'latitude', 'longitude', 'name', 'address', 'reply_to'],
  sendContact: ['to', 'contacts', 'reply_to'],
  sendTemplate: ['to', 'template', 'reply_to'],
  sendReaction: ['to', 'message_id', 'emoji'],
  markRead: ['message_id'],
  raw: ['path', 'body', 'method'],
};
const MEDIA_KEYS = ['to', 'link', 'media_id', 'caption', 'filename', 'reply_to'];

/**
 * Parses and validates one request body exactly as REST validates `POST …/messages` (the same
 * SendMessageDto rules, unknown fields refused). `seed` (WhatsApp) reads the connector seed's
 * bodies — `{to, text, preview_url?, reply_to?}`, `{to, link | media_id, caption?, filename?}`,
 * `{to, latitude, longitude, name?, address?}`, `{to, contacts}` (WhatsApp contact objects),
 * `{to, template}` (`language: {code}`), `{to, message_id, emoji}`, `{message_id}`,
 * `{body}` / `{path, body}` — and names fields in errors as the seed does; other providers take
 * the normalized fields of SendMessageDto (`type` implied by the action).
 * @throws ValidationError (`validation_failed`) naming each bad field.
 */
export async function parseCommand(action: string, body: unknown, seed: boolean): Promise<NatsCommand> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('The request body must be a JSON object', [
      { field: 'body', message: 'expected a JSON object' },
    ]);
  }
  const b = body as Record<string, unknown>;
  if (seed) {
    const allowed = SEED_KEYS[action] ?? MEDIA_KEYS;
    const unknown = Object.keys(b).filter((k) => !allowed.includes(k));
    if (unknown.length) {
      throw new ValidationError(`Unknown field(s) for ${action}: ${unknown.join(', ')}`, [
        ...unknown.map((field) => ({
          field,
          message: `not a field of ${action}; allowed: ${allowed.join(', ')}`,
        })),
      ]);
    }
  }
  if (action === 'markRead') {
    const id = seed ? b.message_id : (b.messageId ?? b.message_id);
    if (typeof id !== 'string' || !id) {
      throw new ValidationError('message_id is required', [
        { field: seed ? 'message_id' : 'messageId', message: 'required: the id of the message read' },
      ]);
    }
    return { kind: 'markRead', messageId: id };
  }
  if (action === 'raw') {
    const path = typeof b.path === 'string' && b.path && !b.path.startsWith('/') ? `/${b.path}` : b.path;
    const hasBody = typeof b.body === 'object' && b.body !== null && Object.keys(b.body).length > 0;
    const request = plainToInstance(RawProviderRequestDto, {
      ...(path !== undefined ? { path } : {}),
      ...(b.body !== undefined ? { body: b.body } : {}),
      method: b.method ?? (hasBody || path === undefined ? 'POST' : 'GET'),
    });
    await check(request, seed);
    return { kind: 'raw', request };
  }
  const type = SEND_ACTIONS[action];
  const normalized = seed ? fromSeed(type, b) : { ...b, type };
  if (!seed && b.type !== undefined && b.type !== type) {
    throw new ValidationError(`type must be ${type} on ${action}`, [
      { field: 'type', message: `must be ${type}` },
    ]);
  }
  const message = plainToInstance(SendMessageDto, normalized);
  await check(message, seed);
  return { kind: 'send', message };
}

/** A seed body → SendMessageDto fields. */
function fromSeed(type: OutboundType, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { to: b.to, type };
  if (b.reply_to !== undefined) out.replyTo = b.reply_to;
  switch (type) {
    case 'text':
      out.text = b.text;
      if (b.preview_url !== undefined) out.previewUrl = b.preview_url;
      break;
    case 'location':
      Object.assign(out, { latitude: b.latitude, longitude: b.longitude, name: b.name, address: b.address });
      break;
    case 'contacts':
      out.contacts = Array.isArray(b.contacts) ? b.contacts.map(contactFromSeed) : b.contacts;
      break;
    case 'template': {
      const t = b.template as Record<string, unknown> | undefined;
      const language = t?.language as { code?: unknown } | string | undefined;
      out.template =
        typeof t === 'object' && t !== null
          ? { ...t, language: typeof language === 'object' && language !== null ? language.code : language }
          : t;
      break;
    }
    case 'reaction':
      Object.assign(out, { messageId: b.message_id, emoji: b.emoji });
      break;
    default:
      out.media =
        b.link !== undefined || b.media_id !== undefined
          ? {
              ...(b.link !== undefined ? { url: b.link } : {}),
              ...(b.media_id !== undefined ? { providerMediaId: b.media_id } : {}),
            }
          : undefined;
      if (b.caption !== undefined) out.caption = b.caption;
      if (b.filename !== undefined) out.filename = b.filename;
  }
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

/** A WhatsApp contact object (`{name: {formatted_name, first_name?, last_name?}, phones: [{phone}]}`) → ContactCardDto. */
function contactFromSeed(c: unknown): unknown {
  if (typeof c !== 'object' || c === null) return c;
  const { name, phones } = c as { name?: Record<string, unknown>; phones?: { phone?: unknown }[] };
  return {
    name: name?.formatted_name,
    ...(name?.first_name !== undefined ? { firstName: name.first_name } : {}),
    ...(name?.last_name !== undefined ? { lastName: name.last_name } : {}),
    phone: Array.isArray(phones) ? phones[0]?.phone : undefined,
  };
}

/** class-validator with the REST pipe's options; errors renamed to the seed's fields. */
async function check(dto: object, seed: boolean): Promise<void> {
  const problems = flattenValidationErrors(
    await validate(dto, { whitelist: true, forbidNonWhitelisted: true }),
  ).map((p) => {
    if (!seed) return p;
    const field =
      SEED_NAMES[p.field] ??
      (p.field === 'media'
        ? 'link'
        : p.field.replace(/^contacts\.(\d+)\.(name|firstName|lastName|phone)$/, seedContactField));
    return { ...p, field };
  });
  if (problems.length) {
    throw new ValidationError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  }
}

function seedContactField(_: string, i: string, f: string): string {
  const names: Record<string, string> = {
    name: 'name.formatted_name',
    firstName: 'name.first_name',
    lastName: 'name.last_name',
    phone: 'phones.0.phone',
  };
  return `contacts.${i}.${names[f]}`;
}
