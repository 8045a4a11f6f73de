import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { RawFile } from '@discordjs/rest';
import type { SessionInfo } from '@discordjs/ws';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Matches, ValidateBy } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { isUUID } from 'class-validator';
import { EntityManager, Repository } from 'typeorm';
import { maskSecret, SecretBox } from '../../../common/crypto/secret-box';
import { sha256Hex } from '../../../common/crypto/tokens';
import {
  ConflictError,
  NotFoundError,
  ProviderError,
  UnauthorizedError,
  UnprocessableError,
  ValidationError,
} from '../../../common/errors/app-error';
import { AppConfig } from '../../../config/app-config';
import { InstanceEntity } from '../../instances-core/instance.entity';
import type { ContactCard, OutboundMessage, ProviderCapabilities, SendResult } from '../normalized';
import { SecretField } from '../config-schema';
import type {
  ConnectResult,
  MediaDownload,
  ProviderAdapter,
  RawProviderRequest,
  SendPacingRule,
  UploadFile,
} from '../provider-adapter';
import type {
  ConnectionSource,
  InboundHttpRequest,
  InboundItem,
  InboundWebhookResult,
  InboundWebhookSource,
  ProviderConnection,
} from '../provider-seams';
import { PendingUploads } from '../pending-uploads';
import { DiscordInstanceEntity } from './discord-instance.entity';
import { DISCORD, DiscordClient } from './discord.client';
import { DiscordGatewayConnection } from './discord.gateway';
import { DISCORD_WEBHOOK_ROUTES } from './discord-webhook';
import {
  DiscordInteraction,
  discordPublicKey,
  InteractionResponse,
  InteractionType,
  normalizeDiscordInteraction,
  verifyDiscordSignature,
} from './discord.interactions';
import { discordMessageId, parseDiscordMessageId, type DiscordMessage } from './discord.normalizer';
import { DISCORD_NATS } from './discord.nats';

/** Intents when `config.intents` is omitted: GUILDS, GUILD_MESSAGES, GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGES, DIRECT_MESSAGE_REACTIONS, MESSAGE_CONTENT. */
export const DEFAULT_INTENTS = 1 | 512 | 1024 | 4096 | 8192 | 32768;
/** Every intent bit Discord defines today (gateway.mdx "List of Intents": bits 0–25). */
const ALL_INTENTS = (1 << 26) - 1;

/** `[1, 512, 32768]` → 33281; a number stays as given; anything else is left for the validator to refuse. */
function toIntentBits({ value }: { value: unknown }): unknown {
  if (!Array.isArray(value)) return value;
  if (!value.every((v) => Number.isInteger(v) && v > 0 && (v & (v - 1)) === 0)) return value;
  return (value as number[]).reduce((acc, v) => acc | v, 0);
}

/** `config` of a Discord instance (seeds/multi-provider-system.md; issue 10). */
export class DiscordConfigDto {
  /** Bot token (Developer Portal → Bot → Reset Token). @example MTA1NzQ2NDE0NTIzNzY3ODA4MA.GX0c3a.abcdefghijklmnopqrstuvwxyz0123456789AB */
  @SecretField()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{3,}\.[A-Za-z0-9_-]{10,}$/, {
    message: 'botToken must look like a Discord bot token (three dot-separated base64url parts)',
  })
  botToken: string;

  /** Application id (Developer Portal → General Information). @example 1057464145237678080 */
  @IsString()
  @Matches(/^\d{15,21}$/, { message: 'clientId must be the application id (a snowflake of 15–21 digits)' })
  clientId: string;

  /**
   * Gateway intents: a list of bit values (`[1, 512, 32768]`) or their sum (`33281`).
   * Default 46593 (GUILDS, GUILD_MESSAGES, GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGES,
   * DIRECT_MESSAGE_REACTIONS, MESSAGE_CONTENT). MESSAGE_CONTENT (32768) is privileged.
   */
  @JSONSchema({
    oneOf: [
      { type: 'integer', minimum: 0 },
      { type: 'array', items: { type: 'integer', minimum: 1 } },
    ],
    example: [1, 512, 32768],
  })
  @IsOptional()
  @Transform(toIntentBits)
  @ValidateBy({
    name: 'isIntentBits',
    validator: {
      validate: (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= ALL_INTENTS,
      defaultMessage: () =>
        `intents must be a list of intent bit values (powers of two, e.g. [1, 512, 32768]) or their sum (0–${ALL_INTENTS})`,
    },
  })
  intents?: number;

  /** Application public key (hex, General Information): enables the Interactions endpoint. */
  @IsOptional()
  @IsString()
  @Matches(/^[0-9a-fA-F]{64}$/, {
    message: 'publicKey must be the 64 hex characters of the application public key',
  })
  publicKey?: string;
}

interface DiscordCredentials {
  token: string;
  botUserId: string;
  intents: number;
  publicKey: string | null;
}

const CAPABILITIES: ProviderCapabilities = {
  provider: DISCORD,
  types: ['text', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contacts', 'reaction'],
  textMaxLength: 2000,
  captionMaxLength: 2000,
  mediaByUrl: true,
  mediaByProviderId: true,
  mediaUpload: true,
  reactions: true,
  readReceipts: false,
  deliveryReceipts: false,
  maxContactsPerMessage: 10,
  qrLogin: false,
  inbound: ['gateway', 'webhook'],
};

/** Message flag SUPPRESS_EMBEDS (1 << 2): no link preview. */
const SUPPRESS_EMBEDS = 1 << 2;

const SNOWFLAKE = /^\d{15,21}$/;

/**
 * Discord through `@discordjs/rest` (outbound, PROVIDERS.md §6.1), the Gateway through
 * `@discordjs/ws` (inbound, one connection per bot run by the connection runtime) and the HTTP
 * Interactions endpoint `POST /webhooks/discord/:instanceId` (Ed25519-verified).
 */
@Injectable()
export class DiscordAdapter implements ProviderAdapter, InboundWebhookSource, ConnectionSource {
  static readonly key = DISCORD;
  static readonly createExample = {
    name: 'Community relay',
    config: {
      botToken: 'MTA1NzQ2NDE0NTIzNzY3ODA4MA.GX0c3a.abcdefghijklmnopqrstuvwxyz0123456789AB',
      clientId: '1057464145237678080',
      intents: [1, 512, 1024, 4096, 8192, 32768],
      publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    },
  };
  static readonly webhooks = DISCORD_WEBHOOK_ROUTES;
  readonly key = DISCORD;
  readonly label = 'Discord';
  readonly capabilities = CAPABILITIES;
  /** NATS subjects `discord.<slug>.in.*` (discord.nats.ts). */
  readonly nats = DISCORD_NATS;
  readonly configDto = DiscordConfigDto;
  readonly webhookRoutes = [{ path: 'discord', withInstanceId: true }] as const;
  private readonly logger = new Logger(DiscordAdapter.name);
  private readonly credentials = new Map<string, DiscordCredentials>();
  /** user id → DM channel id, per bot token (`POST /users/@me/channels` answers the same channel). */
  private readonly dmChannels = new Map<string, string>();
  /** Uploaded files wait here for the send that follows (Discord takes files only inside a message). */
  private readonly uploads = new PendingUploads(DISCORD, 'Discord');
  /** Gateway session per instance and shard (RESUME across connection attempts in this process). */
  private readonly sessions = new Map<string, Map<number, SessionInfo>>();
  /** Test hook: extra `@discordjs/ws` options for every Gateway connection. */
  gatewayOptions?: Record<string, unknown>;

  constructor(
    @InjectRepository(DiscordInstanceEntity) private readonly repo: Repository<DiscordInstanceEntity>,
    private readonly client: DiscordClient,
    private readonly secrets: SecretBox,
    private readonly config: AppConfig,
  ) {}

  async createConfig(
    manager: EntityManager,
    instance: InstanceEntity,
    raw: object,
  ): Promise<Record<string, unknown>> {
    const dto = raw as DiscordConfigDto;
    let me: { id: string; username: string; bot?: boolean };
    try {
      me = await this.client.call('GET /users/@me', () => this.client.rest(dto.botToken).get('/users/@me'));
    } catch (err) {
      this.client.forget(dto.botToken);
      if (err instanceof ProviderError && err.code === 'provider_unauthorized') {
        throw new UnprocessableError(
          'invalid_bot_token',
          'Discord rejected the bot token (GET /users/@me: 401 Unauthorized); check config.botToken',
          {
            provider: DISCORD,
            providerCode: 401,
            errors: [{ field: 'config.botToken', message: 'rejected by Discord' }],
          },
        );
      }
      throw err;
    }
    const row = manager.create(DiscordInstanceEntity, {
      instanceId: instance.id,
      botTokenEnc: this.secrets.encrypt(dto.botToken),
      botTokenHash: sha256Hex(dto.botToken),
      botUserId: me.id,
      botUsername: me.username ?? null,
      clientId: dto.clientId,
      intents: dto.intents ?? DEFAULT_INTENTS,
      publicKey: dto.publicKey?.toLowerCase() ?? null,
      gatewayStoppedReason: null,
    });
    try {
      await manager.insert(DiscordInstanceEntity, row);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ConflictError(
          'bot_already_connected',
          `Discord bot ${me.username} is already connected to another instance (one Gateway connection per bot)`,
        );
      }
      throw err;
    }
    return {
      botUserId: me.id,
      botUsername: me.username,
      intents: row.intents,
      interactions: !!row.publicKey,
    };
  }

  async describeConfig(instance: InstanceEntity): Promise<Record<string, unknown>> {
    const row = await this.repo.findOne({ where: { instanceId: instance.id } });
    if (!row) return {};
    return {
      botUserId: row.botUserId,
      botUsername: row.botUsername,
      accountName: row.botUsername,
      botToken: maskSecret(this.secrets.decrypt(row.botTokenEnc)),
      clientId: row.clientId,
      intents: row.intents,
      publicKey: row.publicKey,
      interactionsUrl: row.publicKey ? this.interactionsUrl(instance.id) : null,
      gatewayStoppedReason: row.gatewayStoppedReason,
    };
  }

  /** Clears a stop (logout, 4004/4014): the runtime opens the Gateway again within seconds. */
  async connect(instance: InstanceEntity): Promise<ConnectResult> {
    await this.repo.update({ instanceId: instance.id }, { gatewayStoppedReason: null });
    return { status: 'connecting', details: { inbound: 'gateway' } };
  }

  async disconnect(instance: InstanceEntity, opts: { logout: boolean }): Promise<void> {
    if (opts.logout) await this.repo.update({ instanceId: instance.id }, { gatewayStoppedReason: 'logout' });
  }

  validateOutbound(m: OutboundMessage): void {
    recipient(m.to);
    if (m.replyTo) messageRef(m.replyTo, m.to, 'replyTo');
    if (m.type === 'reaction') {
      messageRef(m.messageId ?? '', m.to, 'messageId');
      if (!m.emoji) {
        throw new ValidationError('emoji is required for a Discord reaction', [
          { field: 'emoji', message: 'a unicode emoji or a custom emoji as name:id' },
        ]);
      }
    }
    if (m.type === 'sticker' && !SNOWFLAKE.test(m.media?.providerMediaId ?? '')) {
      throw new ValidationError('A Discord sticker is sent by its id', [
        { field: 'media.providerMediaId', message: 'the sticker id (a snowflake)' },
      ]);
    }
    const media = m.media?.providerMediaId;
    if (media && m.type !== 'sticker' && !PendingUploads.isUploadId(media)) {
      throw new ValidationError('Discord has no media ids to send by: send by url or upload the file', [
        { field: 'media.providerMediaId', message: 'use media.url or POST …/messages/upload' },
      ]);
    }
  }

  /**
   * Discord's limits (topics/rate-limits.mdx: 50 requests/s per bot; a channel's message bucket
   * answers 5 per 5 s in practice): ≤ 50/s per bot, ≤ 1/s per channel. A 429 still comes back with
   * Retry-After (the client does not wait it out: rejectOnRateLimit).
   */
  sendPacing(): SendPacingRule[] {
    return [
      { scope: 'instance', gapMs: 1000 / 50 },
      { scope: 'chat', gapMs: 1000 },
    ];
  }

  async send(instance: InstanceEntity, m: OutboundMessage): Promise<SendResult> {
    const { token } = await this.load(instance.id);
    const rest = this.client.rest(token);
    const target = recipient(m.to);
    if (m.type === 'reaction') {
      const ref = messageRef(m.messageId ?? '', target.kind === 'channel' ? target.id : '', 'messageId');
      const emoji = encodeURIComponent(m.emoji!.replace(/^<a?:/, '').replace(/>$/, ''));
      await this.client.call('PUT reaction', () =>
        rest.put(`/channels/${ref.channelId}/messages/${ref.messageId}/reactions/${emoji}/@me`),
      );
      return {
        providerMessageId: `${discordMessageId(ref.channelId, ref.messageId)}:reaction:${Date.now()}`,
        providerChatId: ref.channelId,
        timestamp: new Date(),
        raw: { status: 204 },
      };
    }
    const { body, files } = this.messageBody(m);
    const post = (channelId: string) =>
      this.client.call<DiscordMessage & { timestamp: string }>('POST /channels/:id/messages', () =>
        rest.post(`/channels/${channelId}/messages`, { body, ...(files.length ? { files } : {}) }),
      );
    let sent: DiscordMessage & { timestamp: string };
    if (target.kind === 'user') {
      sent = await post(await this.dmChannel(token, target.id));
    } else {
      try {
        sent = await post(target.id);
      } catch (err) {
        // a bare id that is no channel may be a user: reach them by DM (PROVIDERS.md §6.1)
        if (!(err instanceof ProviderError && err.providerCode === 10003)) throw err;
        const dm = await this.dmChannel(token, target.id).catch(() => null);
        if (!dm) throw err;
        sent = await post(dm);
      }
    }
    return {
      providerMessageId: discordMessageId(sent.channel_id, sent.id),
      providerChatId: sent.channel_id,
      timestamp: new Date(sent.timestamp),
      raw: sent as unknown as Record<string, unknown>,
    };
  }

  /** `POST /channels/:id/typing` (Discord shows it for ~10 s; there is no "stop"). */
  async typing(instance: InstanceEntity, providerChatId: string, on: boolean): Promise<void> {
    if (!on) return;
    const { token } = await this.load(instance.id);
    const target = recipient(providerChatId);
    const channel = target.kind === 'user' ? await this.dmChannel(token, target.id) : target.id;
    await this.client.call('POST /channels/:id/typing', () =>
      this.client.rest(token).post(`/channels/${channel}/typing`),
    );
  }

  /**
   * Discord takes files only inside a message: the file is kept in this process for 10 minutes
   * under `upload:<uuid>`, and the send that follows posts it as multipart `files[0]` + `payload_json`.
   */
  async uploadMedia(_instance: InstanceEntity, file: UploadFile): Promise<string> {
    return this.uploads.put(file);
  }

  /** `<channel>:<message>:<attachment>` → the attachment's fresh CDN URL (`GET …/messages/:id`), streamed. */
  async downloadMedia(instance: InstanceEntity, providerMediaId: string): Promise<MediaDownload> {
    const parts = /^(\d+):(\d+):(\d+)$/.exec(providerMediaId);
    if (!parts) {
      throw new UnprocessableError(
        'media_not_downloadable',
        `Discord media ${providerMediaId} cannot be downloaded (stickers are shown by Discord's CDN only)`,
        { provider: DISCORD },
      );
    }
    const { token } = await this.load(instance.id);
    const msg = await this.client.call<DiscordMessage>('GET /channels/:id/messages/:id', () =>
      this.client.rest(token).get(`/channels/${parts[1]}/messages/${parts[2]}`),
    );
    const att = msg.attachments?.find((a) => a.id === parts[3]);
    if (!att?.url) {
      throw new ProviderError(
        404,
        'media_not_found',
        'Discord no longer has this attachment',
        DISCORD,
        10008,
        undefined,
      );
    }
    return this.client.download(att.url, att.filename, att.size);
  }

  /** A REST call with the bot's token, e.g. an interaction follow-up `POST /webhooks/<app>/<token>`. */
  async rawRequest(instance: InstanceEntity, req: RawProviderRequest): Promise<Record<string, unknown>> {
    const { token } = await this.load(instance.id);
    const path = (req.path ?? '/users/@me').replace(/^\/?(v10\/)?/, '/') as `/${string}`;
    if (!/^\/[A-Za-z0-9@_.%/-]+$/.test(path) || path.split('/').includes('..')) {
      throw new ValidationError('path is not a Discord API path', [
        {
          field: 'path',
          message: 'a path after /api/v10, e.g. /webhooks/<application id>/<interaction token>',
        },
      ]);
    }
    const rest = this.client.rest(token);
    const method = req.method ?? 'GET';
    const res = await this.client.call<unknown>(`${method} ${path}`, () =>
      method === 'GET'
        ? rest.get(path)
        : method === 'DELETE'
          ? rest.delete(path)
          : rest.post(path, { body: req.body }),
    );
    return (res && typeof res === 'object' ? res : { result: res ?? null }) as Record<string, unknown>;
  }

  forget(instanceId: string): void {
    this.sessions.delete(instanceId);
    const creds = this.credentials.get(instanceId);
    if (creds) this.client.forget(creds.token);
    this.credentials.delete(instanceId);
  }

  // ---- Interactions endpoint (InboundWebhookSource) ----

  /**
   * `POST /webhooks/discord/:instanceId`: Ed25519 over timestamp + raw body with the instance's
   * `publicKey`; anything unverifiable (no such instance, no key, bad or missing signature) → 401
   * before anything is stored. PING → `{"type":1}`; application commands, components and modals →
   * one `interactive` message each, answered with a deferred response (type 5, components 6).
   */
  async receive(req: InboundHttpRequest): Promise<InboundWebhookResult> {
    const instanceId = req.instanceId ?? '';
    const row = isUUID(instanceId) ? await this.repo.findOne({ where: { instanceId } }) : null;
    const rawBody = req.rawBody ?? Buffer.alloc(0);
    if (
      !row?.publicKey ||
      !verifyDiscordSignature(
        rawBody,
        req.headers['x-signature-ed25519'],
        req.headers['x-signature-timestamp'],
        discordPublicKey(row.publicKey),
      )
    ) {
      throw new UnauthorizedError('X-Signature-Ed25519 does not verify with the application public key');
    }
    let interaction: DiscordInteraction;
    try {
      interaction = JSON.parse(rawBody.toString('utf8')) as DiscordInteraction;
    } catch {
      throw new ValidationError('The interaction body is not JSON', [{ field: 'body', message: 'not JSON' }]);
    }
    if (!interaction || typeof interaction !== 'object' || typeof interaction.type !== 'number') {
      throw new ValidationError('The interaction has no type', [{ field: 'type', message: 'required' }]);
    }
    const json = (body: unknown) => ({ status: 200, body, contentType: 'application/json' });
    if (interaction.type === InteractionType.PING)
      return { items: [], response: json({ type: InteractionResponse.PONG }) };
    if (interaction.type === InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE) {
      return {
        items: [],
        response: json({
          type: InteractionResponse.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT,
          data: { choices: [] },
        }),
      };
    }
    const item: InboundItem = {
      instance: { id: instanceId, provider: DISCORD },
      providerEventId: `INTERACTION_CREATE:${String(interaction.id)}`,
      payload: interaction,
      result: normalizeDiscordInteraction(interaction),
    };
    const deferred =
      interaction.type === InteractionType.MESSAGE_COMPONENT
        ? InteractionResponse.DEFERRED_UPDATE_MESSAGE
        : InteractionResponse.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE;
    return {
      items: [item],
      response: ([outcome]) => {
        if (outcome?.notFound) throw new NotFoundError('Discord instance', instanceId);
        return json({ type: deferred });
      },
    };
  }

  // ---- Gateway (ConnectionSource) ----

  /** Discord instances whose Gateway should run: not logged out, not stopped by 4004 / 4014. */
  async connectionTargets(): Promise<string[]> {
    const rows: { instance_id: string }[] = await this.repo.query(
      `SELECT d.instance_id FROM discord_instances d JOIN instances i ON i.id = d.instance_id
        WHERE d.gateway_stopped_reason IS NULL AND i.status <> 'needs_reauth'`,
    );
    return rows.map((r) => r.instance_id);
  }

  openConnection(instance: InstanceEntity): ProviderConnection {
    let gateway: DiscordGatewayConnection | undefined;
    let sessions = this.sessions.get(instance.id);
    if (!sessions) this.sessions.set(instance.id, (sessions = new Map()));
    return {
      run: async (ctx) => {
        const creds = await this.load(instance.id);
        gateway ??= new DiscordGatewayConnection(
          {
            instanceId: instance.id,
            token: creds.token,
            intents: creds.intents,
            botUserId: creds.botUserId,
            rest: this.client.rest(creds.token),
            managerOptions: this.gatewayOptions,
            onStop: async (reason) => {
              await this.repo.update({ instanceId: instance.id }, { gatewayStoppedReason: reason });
            },
            onMissingContentIntent: async (reason) => {
              await this.repo.manager.update(InstanceEntity, { id: instance.id }, { statusReason: reason });
            },
          },
          sessions,
        );
        return gateway.run(ctx);
      },
    };
  }

  // ---- helpers ----

  private messageBody(m: OutboundMessage): { body: Record<string, unknown>; files: RawFile[] } {
    const body: Record<string, unknown> = { allowed_mentions: { parse: ['users'] } };
    const files: RawFile[] = [];
    if (m.replyTo) {
      const ref = messageRef(m.replyTo, m.to, 'replyTo');
      body.message_reference = {
        message_id: ref.messageId,
        channel_id: ref.channelId,
        fail_if_not_exists: false,
      };
    }
    const caption = m.caption ?? '';
    switch (m.type) {
      case 'text':
        body.content = m.text ?? '';
        if (m.previewUrl === false) body.flags = SUPPRESS_EMBEDS;
        break;
      case 'image':
      case 'video':
      case 'audio':
      case 'document': {
        const upload = m.media?.providerMediaId;
        if (upload) {
          const file = this.uploads.take(upload);
          const name = m.filename ?? file.fileName ?? defaultName(m.type, file.mimeType);
          files.push({ name, data: file.buffer, contentType: file.mimeType });
          body.attachments = [{ id: 0, filename: name }];
          if (caption) body.content = caption;
        } else {
          const url = m.media?.url ?? '';
          if (m.type === 'image') {
            body.embeds = [{ image: { url }, ...(caption ? { description: caption } : {}) }];
          } else {
            body.embeds = [
              {
                title:
                  m.filename ?? (decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '') || url),
                url,
                ...(caption ? { description: caption } : {}),
              },
            ];
          }
        }
        break;
      }
      case 'sticker':
        body.sticker_ids = [m.media!.providerMediaId];
        break;
      case 'location': {
        const lines = [
          `📍 ${m.name ?? 'Location'}`,
          m.address,
          `https://www.openstreetmap.org/?mlat=${m.latitude}&mlon=${m.longitude}#map=17/${m.latitude}/${m.longitude}`,
        ];
        body.content = lines.filter(Boolean).join('\n');
        break;
      }
      case 'contacts':
        body.content = (m.contacts ?? []).map(contactText).join('\n\n');
        break;
      default:
        throw new UnprocessableError(
          'unsupported_message_type',
          `Discord does not support message type ${m.type}`,
          {
            provider: DISCORD,
          },
        );
    }
    return { body, files };
  }

  /** The DM channel with a user (`POST /users/@me/channels`), cached per bot. */
  private async dmChannel(token: string, userId: string): Promise<string> {
    const key = `${sha256Hex(token).slice(0, 16)}:${userId}`;
    const cached = this.dmChannels.get(key);
    if (cached) return cached;
    const channel = await this.client.call<{ id: string }>('POST /users/@me/channels', () =>
      this.client.rest(token).post('/users/@me/channels', { body: { recipient_id: userId } }),
    );
    this.dmChannels.set(key, channel.id);
    return channel.id;
  }

  private interactionsUrl(instanceId: string): string {
    return `${this.config.publicBaseUrl ?? '<PUBLIC_BASE_URL>'}/webhooks/discord/${instanceId}`;
  }

  private async load(instanceId: string): Promise<DiscordCredentials> {
    const cached = this.credentials.get(instanceId);
    if (cached) return cached;
    const row = await this.repo.findOne({ where: { instanceId } });
    if (!row) {
      throw new UnprocessableError(
        'provider_config_missing',
        `Instance ${instanceId} has no Discord configuration`,
      );
    }
    const creds: DiscordCredentials = {
      token: this.secrets.decrypt(row.botTokenEnc),
      botUserId: row.botUserId,
      intents: row.intents,
      publicKey: row.publicKey,
    };
    this.credentials.set(instanceId, creds);
    return creds;
  }
}

/** `to`: a channel id, or a user (`user:<id>`, `<@id>`) reached by DM. A bare id is tried as a channel first. */
export function discordRecipient(to: string): { kind: 'channel' | 'user'; id: string } {
  return recipient(to);
}

function recipient(to: string): { kind: 'channel' | 'user'; id: string } {
  if (SNOWFLAKE.test(to)) return { kind: 'channel', id: to };
  const user = /^(?:user:|<@!?)(\d{15,21})>?$/.exec(to);
  if (user && (to.startsWith('user:') ? !to.endsWith('>') : to.endsWith('>')))
    return { kind: 'user', id: user[1] };
  throw new ValidationError('to is not a Discord channel or user id', [
    { field: 'to', message: 'expected a channel id, or a user id as user:<id> or <@id> (DM)' },
  ]);
}

function messageRef(id: string, to: string, field: string): { channelId: string; messageId: string } {
  const ref = parseDiscordMessageId(id, SNOWFLAKE.test(to) ? to : undefined);
  if (!ref) {
    throw new ValidationError(`${field} is not a Discord message id`, [
      {
        field,
        message: 'expected <channel_id>:<message_id>, our message id, or a message id in the `to` channel',
      },
    ]);
  }
  return ref;
}

function defaultName(type: string, mime: string): string {
  const ext = mime.split('/')[1]?.replace(/[^a-z0-9]/gi, '') || 'bin';
  return `${type}.${ext}`;
}

/** A contact card as Discord text: name, then phones, e-mails, organisation, web addresses, postal addresses, birthday. */
export function contactText(c: ContactCard): string {
  const label = (type?: string) => (type ? ` (${type.toLowerCase()})` : '');
  const phones = c.phones?.length ? c.phones : c.phone ? [{ phone: c.phone }] : [];
  const org = [c.org?.company, c.org?.department, c.org?.title].filter(Boolean).join(', ');
  return [
    `👤 ${c.name}`,
    ...phones.map((p) => `📞 ${p.phone}${label((p as { type?: string }).type)}`),
    ...(c.emails ?? []).map((e) => `✉️ ${e.email}${label(e.type)}`),
    ...(org ? [`🏢 ${org}`] : []),
    ...(c.urls ?? []).map((u) => `🔗 ${u.url}${label(u.type)}`),
    ...(c.addresses ?? []).map(
      (a) => `📫 ${[a.street, a.city, a.state, a.zip, a.country].filter(Boolean).join(', ')}${label(a.type)}`,
    ),
    ...(c.birthday ? [`🎂 ${c.birthday}`] : []),
  ].join('\n');
}
