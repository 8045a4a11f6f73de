import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
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
import type { InstanceEntity } from '../../instances-core/instance.entity';
import { SecretField } from '../config-schema';
import type { OutboundMessage, ProviderCapabilities, SendResult } from '../normalized';
import { isObject, malformedItem } from '../payload-shape';
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
import { SlackInstanceEntity } from './slack-instance.entity';
import { SLACK_WEBHOOK_ROUTES } from './slack-webhook-docs';
import { slackEmojiName } from './slack-emoji';
import { verifySlackSignature } from './slack-signature';
import { SLACK, SlackClient, slackError } from './slack.client';
import { SlackSocketConnection } from './slack.connection';
import { SLACK_NATS } from './slack.nats';
import { toPostMessageArgs } from './slack.mapper';
import {
  normalizeSlackEnvelopeItems,
  parseSlackMessageId,
  slackDisplayName,
  slackMessageId,
  type SlackSelf,
} from './slack.normalizer';

/** `config` of a Slack instance (seeds/multi-provider-system.md; issue 10). */
export class SlackConfigDto {
  /** Bot User OAuth Token from the app's OAuth & Permissions page. @example xoxb-1234-5678-abcdef */
  @SecretField()
  @IsString()
  @MaxLength(512)
  @Matches(/^xoxb-[A-Za-z0-9-]+$/, { message: 'botToken must be a bot token (xoxb-…)' })
  botToken: string;

  /**
   * The app's Signing Secret (Basic Information → App Credentials): checks `X-Slack-Signature` of
   * Events API requests. Required unless `socketMode` is true.
   */
  @ValidateIf((o: SlackConfigDto) => !o.socketMode || o.signingSecret !== undefined)
  @SecretField()
  @IsString()
  @Matches(/^[A-Za-z0-9]{16,128}$/, {
    message: 'signingSecret must be the app’s Signing Secret (letters and digits)',
  })
  signingSecret?: string;

  /** true: receive over Socket Mode (needs `appToken`); false (default): the Events API Request URL. */
  @IsOptional() @IsBoolean() socketMode?: boolean;

  /** App-level token with `connections:write` (Basic Information → App-Level Tokens); Socket Mode only. @example xapp-1-A0123-456-abcdef */
  @ValidateIf((o: SlackConfigDto) => o.socketMode === true || o.appToken !== undefined)
  @SecretField()
  @IsString()
  @MaxLength(512)
  @Matches(/^xapp-[A-Za-z0-9-]+$/, { message: 'appToken must be an app-level token (xapp-…)' })
  appToken?: string;
}

interface SlackCredentials {
  instanceId: string;
  botToken: string;
  signingSecret: string | null;
  appToken: string | null;
  socketMode: boolean;
  teamId: string;
  self: SlackSelf;
}

/** Sender names from users.info are kept this long, ms (slack-discord.md C5: cache with a TTL). */
const USER_NAME_TTL_MS = 60 * 60 * 1000;
/** A failed users.info (unknown user, missing users:read) is not retried for this long, ms. */
const USER_NAME_MISS_TTL_MS = 5 * 60 * 1000;
const USER_CACHE_MAX = 10_000;

const CAPABILITIES: ProviderCapabilities = {
  provider: SLACK,
  types: ['text', 'image', 'video', 'audio', 'voice', 'document', 'location', 'contacts', 'reaction'],
  // chat.postMessage truncates beyond 40,000 characters (Slack recommends ≤ 4,000)
  textMaxLength: 40_000,
  captionMaxLength: 3000,
  mediaByUrl: true,
  mediaByProviderId: true,
  mediaUpload: true,
  reactions: true,
  readReceipts: false,
  deliveryReceipts: false,
  maxContactsPerMessage: 10,
  qrLogin: false,
  inbound: ['webhook', 'gateway'],
};

/** auth.test's answer (the fields we keep). */
interface AuthTest {
  url?: string;
  team?: string;
  user?: string;
  team_id?: string;
  user_id?: string;
  bot_id?: string;
}

/**
 * Slack through `@slack/web-api` (outbound, auth.test, users.info, files) and
 * `@slack/socket-mode` (PROVIDERS.md §5; slack-discord.md C). Inbound either over the Events API
 * (`POST /webhooks/slack/:instanceId`, v0 signature over the raw body) or over Socket Mode
 * (a connection the runtime holds in one worker). Both feed the same normalizer.
 */
@Injectable()
export class SlackAdapter implements ProviderAdapter, InboundWebhookSource, ConnectionSource {
  static readonly key = SLACK;
  static readonly createExample = {
    name: 'Acme workspace',
    config: {
      botToken: 'xoxb-1234-5678-abcdef',
      signingSecret: '8f742231b10e8888abcd99yyyzzz85a5',
      socketMode: false,
    },
  };
  readonly key = SLACK;
  /** Display name (the seeds' `GET /stats` keys). */
  readonly label = 'Slack';
  readonly capabilities = CAPABILITIES;
  /** NATS subjects `slack.<slug>.in.*` (slack.nats.ts). */
  readonly nats = SLACK_NATS;
  readonly configDto = SlackConfigDto;
  /** The Request URL with its OpenAPI docs, mounted by the generic inbound pipeline. */
  static readonly webhooks = SLACK_WEBHOOK_ROUTES;
  readonly webhookRoutes = SLACK_WEBHOOK_ROUTES;
  private readonly logger = new Logger(SlackAdapter.name);
  private readonly credentials = new Map<string, SlackCredentials>();
  private readonly userNames = new Map<string, { name?: string; username?: string; until: number }>();

  constructor(
    @InjectRepository(SlackInstanceEntity) private readonly repo: Repository<SlackInstanceEntity>,
    private readonly client: SlackClient,
    private readonly secrets: SecretBox,
    private readonly config: AppConfig,
  ) {}

  /**
   * `auth.test` with the bot token (and, for Socket Mode, `apps.connections.open` with the app
   * token) before anything is stored.
   * @throws UnprocessableError 422 `invalid_bot_token` / `invalid_app_token` naming the field;
   *   ConflictError 409 when the bot already backs another instance.
   */
  async createConfig(
    manager: EntityManager,
    instance: InstanceEntity,
    raw: object,
  ): Promise<Record<string, unknown>> {
    const c = raw as SlackConfigDto;
    const socketMode = c.socketMode === true;
    let auth: AuthTest;
    try {
      auth = (await this.client.call('auth.test', () => this.client.web(c.botToken).auth.test())) as AuthTest;
    } catch (err) {
      this.client.forget(c.botToken);
      throw credentialError(err, 'config.botToken', 'invalid_bot_token', 'bot token');
    }
    if (!auth.bot_id || !auth.user_id || !auth.team_id) {
      this.client.forget(c.botToken);
      throw new UnprocessableError(
        'invalid_bot_token',
        'config.botToken is not a bot token: auth.test returned no bot_id (use the Bot User OAuth Token, xoxb-…)',
        { provider: SLACK, errors: [{ field: 'config.botToken', message: 'not a bot token' }] },
      );
    }
    if (socketMode) {
      try {
        await this.client.call('apps.connections.open', () =>
          this.client.web(c.appToken!).apps.connections.open(),
        );
      } catch (err) {
        throw credentialError(err, 'config.appToken', 'invalid_app_token', 'app-level token');
      } finally {
        this.client.forget(c.appToken!);
      }
    }
    try {
      await manager.insert(SlackInstanceEntity, {
        instanceId: instance.id,
        botTokenEnc: this.secrets.encrypt(c.botToken),
        botTokenHash: sha256Hex(c.botToken),
        signingSecretEnc: c.signingSecret ? this.secrets.encrypt(c.signingSecret) : null,
        appTokenEnc: socketMode && c.appToken ? this.secrets.encrypt(c.appToken) : null,
        socketMode,
        teamId: auth.team_id,
        teamName: auth.team ?? null,
        teamUrl: auth.url ?? null,
        botUserId: auth.user_id,
        botId: auth.bot_id,
        botName: auth.user ?? null,
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ConflictError(
          'bot_already_connected',
          `Slack bot @${auth.user} (${auth.team}) is already connected to another instance`,
        );
      }
      throw err;
    }
    return {
      teamId: auth.team_id,
      teamName: auth.team ?? null,
      botUserId: auth.user_id,
      botId: auth.bot_id,
      botName: auth.user ?? null,
      mode: socketMode ? 'socket_mode' : 'events_api',
    };
  }

  async describeConfig(instance: InstanceEntity): Promise<Record<string, unknown>> {
    const row = await this.repo.findOne({ where: { instanceId: instance.id } });
    if (!row) return {};
    return {
      teamId: row.teamId,
      teamName: row.teamName,
      teamUrl: row.teamUrl,
      botUserId: row.botUserId,
      botId: row.botId,
      botName: row.botName,
      accountName: row.botName ? `@${row.botName}${row.teamName ? ` (${row.teamName})` : ''}` : row.teamName,
      socketMode: row.socketMode,
      botToken: maskSecret(this.secrets.decrypt(row.botTokenEnc)),
      signingSecret: row.signingSecretEnc ? maskSecret(this.secrets.decrypt(row.signingSecretEnc)) : null,
      appToken: row.appTokenEnc ? maskSecret(this.secrets.decrypt(row.appTokenEnc)) : null,
      requestUrl:
        !row.socketMode && this.config.publicBaseUrl
          ? `${this.config.publicBaseUrl}/webhooks/slack/${instance.id}`
          : null,
    };
  }

  /**
   * Re-checks the bot token with auth.test. Events API: `connected` (Slack pushes to the Request
   * URL). Socket Mode: `connecting` until the connection runtime reports the socket up.
   */
  async connect(instance: InstanceEntity): Promise<ConnectResult> {
    const creds = await this.load(instance.id);
    try {
      await this.client.call('auth.test', () => this.client.web(creds.botToken).auth.test());
    } catch (err) {
      if (err instanceof ProviderError && err.code === 'provider_unauthorized') {
        return { status: 'needs_reauth', reason: err.message };
      }
      if (err instanceof ProviderError) return { status: 'error', reason: err.message };
      throw err;
    }
    return creds.socketMode
      ? { status: 'connecting', details: { slackTransport: 'socket_mode' } }
      : { status: 'connected', details: { slackTransport: 'events_api' } };
  }

  /** Nothing to stop on Slack's side: the Request URL lives in the app config; Socket Mode stops with the lease. */
  async disconnect(): Promise<void> {}

  validateOutbound(m: OutboundMessage): void {
    slackTarget(m.to);
    if (m.replyTo) threadTarget(m.replyTo, m.to);
    if (m.type === 'reaction') {
      reactionTarget(m.messageId, m.to);
      if (!m.emoji) {
        throw new UnprocessableError(
          'reaction_removal_unsupported',
          'Slack removes a reaction only by its name: send the emoji to add; removal is not supported',
          { provider: SLACK, errors: [{ field: 'emoji', message: 'required for Slack' }] },
        );
      }
      if (!slackEmojiName(m.emoji)) {
        throw new ValidationError('emoji is not an emoji Slack knows', [
          { field: 'emoji', message: 'expected a unicode emoji (👍) or a Slack emoji name (thumbsup)' },
        ]);
      }
    }
    if (m.media?.providerMediaId && !/^F[A-Z0-9]{2,}$/.test(m.media.providerMediaId)) {
      throw new ValidationError('media.providerMediaId is not a Slack file id', [
        { field: 'media.providerMediaId', message: 'expected a Slack file id (F…) from the upload route' },
      ]);
    }
  }

  /**
   * Async sends are paced by Slack's documented limits (PROVIDERS.md §5.1; docs.slack.dev
   * rate-limits): chat.postMessage about 1 message per second per channel; reactions.add is
   * Tier 3 (50+ per minute per workspace). A 429 still comes back with Slack's Retry-After.
   */
  sendPacing(send: { providerChatId: string; type: string }): SendPacingRule[] {
    if (send.type === 'reaction') return [{ scope: 'instance', gapMs: 60_000 / 50, bucket: 'reactions' }];
    return [{ scope: 'chat', gapMs: 1000 }];
  }

  /**
   * `chat.postMessage` (text, image block, links, location/contact text; `replyTo` → `thread_ts`),
   * `files.completeUploadExternal` for a file uploaded by {@link uploadMedia}, `reactions.add`.
   * A user id (`U…`/`W…`) is opened as a DM first (`conversations.open`).
   */
  async send(instance: InstanceEntity, m: OutboundMessage): Promise<SendResult> {
    const { botToken } = await this.load(instance.id);
    const web = this.client.web(botToken);
    const channel = await this.conversationFor(botToken, m.to);
    const thread = m.replyTo ? threadTarget(m.replyTo, channel) : undefined;
    if (m.type === 'reaction') {
      const target = reactionTarget(m.messageId, channel)!;
      const name = slackEmojiName(m.emoji ?? '')!;
      const res = await this.client.call('reactions.add', () =>
        web.reactions.add({ channel: target.channel, timestamp: target.ts, name }),
      );
      return {
        providerMessageId: `${slackMessageId(target.channel, target.ts)}:reaction:self:${name}:${Date.now()}`,
        providerChatId: target.channel,
        timestamp: new Date(),
        raw: res as unknown as Record<string, unknown>,
      };
    }
    if (m.media?.providerMediaId) {
      const fileId = m.media.providerMediaId;
      const res = await this.client.call('files.completeUploadExternal', () =>
        web.files.completeUploadExternal({
          files: [{ id: fileId, title: m.filename ?? m.caption ?? fileId }],
          channel_id: channel,
          ...(m.caption ? { initial_comment: m.caption } : {}),
          ...(thread ? { thread_ts: thread } : {}),
        }),
      );
      return {
        providerMessageId: `${channel}:${fileId}`,
        providerChatId: channel,
        timestamp: new Date(),
        raw: res as unknown as Record<string, unknown>,
      };
    }
    const args = toPostMessageArgs(m);
    const res = await this.client.call('chat.postMessage', () =>
      web.chat.postMessage({ channel, ...args, ...(thread ? { thread_ts: thread } : {}) }),
    );
    if (!res.ts || !res.channel) {
      throw new ProviderError(
        502,
        'provider_error',
        'Slack accepted the message without its ts',
        SLACK,
        undefined,
        undefined,
      );
    }
    return {
      providerMessageId: slackMessageId(res.channel, res.ts),
      providerChatId: res.channel,
      timestamp: new Date(Math.floor(Number(res.ts) * 1000)),
      raw: res as unknown as Record<string, unknown>,
    };
  }

  /**
   * Steps 1–2 of Slack's upload (what `filesUploadV2` does): `files.getUploadURLExternal`, then the
   * bytes POSTed to the returned `upload_url` (multipart part `body`, Bearer token), returning
   * the file id (`F…`); {@link send} shares it into the conversation with
   * `files.completeUploadExternal` (step 3), where the channel is known.
   */
  async uploadMedia(instance: InstanceEntity, file: UploadFile): Promise<string> {
    const { botToken } = await this.load(instance.id);
    const filename = file.fileName || `upload.${file.mimeType.split('/')[1] ?? 'bin'}`;
    const ticket = await this.client.call('files.getUploadURLExternal', () =>
      this.client.web(botToken).files.getUploadURLExternal({ filename, length: file.buffer.length }),
    );
    if (!ticket.upload_url || !ticket.file_id) {
      throw new ProviderError(502, 'provider_error', 'Slack gave no upload_url', SLACK, undefined, undefined);
    }
    const form = new FormData();
    form.append('body', new Blob([new Uint8Array(file.buffer)], { type: file.mimeType }), filename);
    let res: Response;
    try {
      res = await fetch(ticket.upload_url, {
        method: 'POST',
        headers: { authorization: `Bearer ${botToken}` },
        body: form,
        redirect: 'error',
        signal: AbortSignal.timeout(120_000),
      });
      await res.arrayBuffer();
    } catch (err) {
      throw new ProviderError(
        502,
        'provider_unavailable',
        'Slack file upload failed',
        SLACK,
        undefined,
        (err as Error).message,
      );
    }
    if (res.status !== 200) {
      throw new ProviderError(
        502,
        'provider_unavailable',
        `Slack file upload answered HTTP ${res.status}`,
        SLACK,
        res.status,
        undefined,
      );
    }
    return ticket.file_id;
  }

  /**
   * `files.info` → `url_private_download`, streamed with the bot token (scope `files:read`).
   * Slack answers a request without a valid token with its HTML login page: that is refused.
   */
  async downloadMedia(instance: InstanceEntity, providerMediaId: string): Promise<MediaDownload> {
    const { botToken } = await this.load(instance.id);
    const info = await this.client.call('files.info', () =>
      this.client.web(botToken).files.info({ file: providerMediaId }),
    );
    const f = info.file;
    const url = f?.url_private_download ?? f?.url_private;
    if (!url) throw new NotFoundError('Slack file', providerMediaId);
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: `Bearer ${botToken}` },
        signal: AbortSignal.timeout(120_000),
      });
    } catch (err) {
      throw new ProviderError(
        502,
        'provider_unavailable',
        'Slack file download failed',
        SLACK,
        undefined,
        (err as Error).message,
      );
    }
    const type = res.headers.get('content-type') ?? undefined;
    if (res.status !== 200 || !res.body || (type?.startsWith('text/html') && f?.mimetype !== 'text/html')) {
      await res.body?.cancel();
      throw new ProviderError(
        502,
        'provider_unavailable',
        `Slack refused the file download (HTTP ${res.status}${type ? `, ${type}` : ''}); the bot token needs files:read`,
        SLACK,
        res.status,
        undefined,
      );
    }
    const length = Number(res.headers.get('content-length'));
    return {
      stream: Readable.fromWeb(res.body as unknown as WebReadableStream),
      contentType: f?.mimetype ?? type,
      ...(Number.isFinite(length) && length > 0
        ? { size: length }
        : typeof f?.size === 'number'
          ? { size: f.size }
          : {}),
      ...(f?.name ? { fileName: f.name } : {}),
    };
  }

  /** Any Web API method with the bot token (`path` = method name, default `auth.test`). */
  async rawRequest(instance: InstanceEntity, req: RawProviderRequest): Promise<Record<string, unknown>> {
    const { botToken } = await this.load(instance.id);
    const method = (req.path ?? 'auth.test').replace(/^\/+/, '');
    if (!/^[a-zA-Z]+(\.[a-zA-Z]+)+$/.test(method)) {
      throw new ValidationError('path must be a Slack Web API method name', [
        { field: 'path', message: 'expected e.g. conversations.info' },
      ]);
    }
    const res = await this.client.call(method, () =>
      this.client.web(botToken).apiCall(method, req.body ?? {}),
    );
    return res as unknown as Record<string, unknown>;
  }

  forget(instanceId: string): void {
    const creds = this.credentials.get(instanceId);
    if (creds) this.client.forget(creds.botToken);
    this.credentials.delete(instanceId);
    for (const key of this.userNames.keys()) if (key.startsWith(`${instanceId}:`)) this.userNames.delete(key);
  }

  // ---- inbound: Events API ----

  /**
   * `POST /webhooks/slack/:instanceId` (the app's Event Subscriptions Request URL). The v0
   * signature over the raw body and the 5-minute timestamp window are checked before anything
   * else; then `url_verification` → `{challenge}`, `event_callback` → one item (its `event_id`
   * dedupes Slack's retries, `X-Slack-Retry-Num`), `app_rate_limited` and others → acknowledged.
   * @throws UnauthorizedError (401) for an unknown instance, a bad signature or a stale timestamp;
   *   ValidationError (400) for a signed body that is not JSON. A signed form body (interactivity,
   *   slash commands: not relayed) is acknowledged with 200 and nothing stored.
   */
  async receive(req: InboundHttpRequest): Promise<InboundWebhookResult> {
    const instanceId = req.instanceId;
    const creds = instanceId && isUUID(instanceId) ? await this.load(instanceId).catch(() => null) : null;
    if (!creds?.signingSecret) throw new UnauthorizedError('X-Slack-Signature is missing or wrong');
    const raw = req.rawBody ?? Buffer.alloc(0);
    const check = verifySlackSignature(
      creds.signingSecret,
      raw,
      header(req.headers, 'x-slack-signature'),
      header(req.headers, 'x-slack-request-timestamp'),
    );
    if (!check.ok) throw new UnauthorizedError(check.reason);
    if (String(header(req.headers, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
      // interactivity (`payload=<json>`) and slash commands: not relayed by this gateway; a 200
      // keeps Slack from showing the user an error, and nothing is stored
      this.logger.log({ instanceId }, 'slack interactivity / slash command acknowledged without storing');
      return { items: [] };
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new ValidationError('Body is not JSON (Slack sends Events API requests as application/json)');
    }
    if (isObject(body) && body.type === 'url_verification') {
      return {
        items: [],
        response: {
          status: 200,
          body: { challenge: String(body.challenge ?? '') },
          contentType: 'application/json',
        },
      };
    }
    if (isObject(body) && body.type !== 'event_callback') {
      // app_rate_limited and future envelope types: archived nowhere, acknowledged so Slack stops
      this.logger.log({ instanceId, type: String(body.type) }, 'slack envelope acknowledged without storing');
      return { items: [] };
    }
    return { items: await this.itemsFor(creds, body) };
  }

  /** Normalized items of one `event_callback` (HTTP body or Socket Mode `payload`), sender names filled in. */
  async itemsFor(creds: SlackCredentials, body: unknown): Promise<InboundItem[]> {
    const inst = { id: creds.instanceId, provider: SLACK };
    if (!isObject(body))
      return [{ instance: inst, ...malformedItem(body, 'malformed_payload:/ must be object') }];
    const items = normalizeSlackEnvelopeItems(body, creds.self);
    // a profile change: the next message of this user looks the name up again
    const event = body.event;
    if (
      isObject(event) &&
      event.type === 'user_change' &&
      isObject(event.user) &&
      typeof event.user.id === 'string'
    ) {
      this.userNames.delete(`${creds.instanceId}:${event.user.id}`);
    }
    for (const item of items) {
      if (item.result.kind !== 'message') continue;
      const from = item.result.message.from;
      if (from.name) continue;
      const known = await this.userName(creds, from.id);
      if (known?.name) from.name = known.name;
      if (known?.username) from.username = known.username;
    }
    return items.map((item) => ({ instance: inst, ...item }));
  }

  /** users.info, cached per instance and user for an hour; a failure leaves the name unknown. */
  private async userName(
    creds: SlackCredentials,
    user: string,
  ): Promise<{ name?: string; username?: string } | null> {
    if (!/^[UW][A-Z0-9]{2,}$/.test(user)) return null;
    const key = `${creds.instanceId}:${user}`;
    const cached = this.userNames.get(key);
    if (cached && cached.until > Date.now()) return cached;
    try {
      const res = await this.client.web(creds.botToken).users.info({ user });
      const u = res.user;
      const entry = {
        name: slackDisplayName({
          display_name: u?.profile?.display_name,
          real_name: u?.profile?.real_name ?? u?.real_name,
          name: u?.name,
        }),
        username: u?.name,
        until: Date.now() + USER_NAME_TTL_MS,
      };
      if (this.userNames.size >= USER_CACHE_MAX) this.userNames.delete(this.userNames.keys().next().value!);
      this.userNames.set(key, entry);
      return entry;
    } catch (err) {
      this.logger.warn(
        { instanceId: creds.instanceId, user, err: slackError(err, 'users.info').message },
        'users.info failed',
      );
      this.userNames.set(key, { until: Date.now() + USER_NAME_MISS_TTL_MS });
      return null;
    }
  }

  // ---- inbound: Socket Mode ----

  /**
   * Socket Mode instances (the runtime runs those whose status wants a connection: not after a
   * logout or while `needs_reauth`).
   */
  async connectionTargets(): Promise<string[]> {
    const rows = await this.repo.find({ where: { socketMode: true }, select: { instanceId: true } });
    return rows.map((r) => r.instanceId);
  }

  openConnection(instance: InstanceEntity): ProviderConnection {
    return new SlackSocketConnection(instance.id, this, this.client.apiUrl);
  }

  /** Credentials of an instance (decrypted once, then cached until {@link forget}). */
  async load(instanceId: string): Promise<SlackCredentials> {
    const cached = this.credentials.get(instanceId);
    if (cached) return cached;
    const row = await this.repo.findOne({ where: { instanceId } });
    if (!row) {
      throw new UnprocessableError(
        'provider_config_missing',
        `Instance ${instanceId} has no Slack configuration`,
      );
    }
    const creds: SlackCredentials = {
      instanceId,
      botToken: this.secrets.decrypt(row.botTokenEnc),
      signingSecret: row.signingSecretEnc ? this.secrets.decrypt(row.signingSecretEnc) : null,
      appToken: row.appTokenEnc ? this.secrets.decrypt(row.appTokenEnc) : null,
      socketMode: row.socketMode,
      teamId: row.teamId,
      self: { userId: row.botUserId, botId: row.botId },
    };
    this.credentials.set(instanceId, creds);
    return creds;
  }

  /** `to` as a conversation id; a user id is opened as a DM (`conversations.open`, scope im:write). */
  private async conversationFor(botToken: string, to: string): Promise<string> {
    const target = slackTarget(to);
    if (target.kind === 'conversation') return to;
    const res = await this.client.call('conversations.open', () =>
      this.client.web(botToken).conversations.open({ users: to }),
    );
    const id = res.channel?.id;
    if (!id)
      throw new ProviderError(
        502,
        'provider_error',
        'conversations.open returned no channel',
        SLACK,
        undefined,
        undefined,
      );
    return id;
  }
}

export type { SlackCredentials };

function header(headers: InboundHttpRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A rejected credential at creation → 422 naming the field (provider errors other than auth pass through). */
function credentialError(err: unknown, field: string, code: string, what: string): Error {
  const e = err instanceof ProviderError ? err : slackError(err, 'auth.test');
  if (
    e.code === 'provider_unauthorized' ||
    e.providerCode === 'not_allowed_token_type' ||
    e.providerCode === 'invalid_auth'
  ) {
    return new UnprocessableError(
      code,
      `Slack rejected the ${what} (${String(e.providerCode)}); check ${field}`,
      {
        provider: SLACK,
        providerCode: e.providerCode,
        errors: [{ field, message: `rejected by Slack: ${String(e.providerCode)}` }],
      },
    );
  }
  return e;
}

/** `to`: a conversation (`C…`, `G…`, `D…`) or a user (`U…`, `W…`). @throws ValidationError naming `to`. */
export function slackTarget(to: string): { kind: 'conversation' | 'user' } {
  if (/^[CGD][A-Z0-9]{2,}$/.test(to)) return { kind: 'conversation' };
  if (/^[UW][A-Z0-9]{2,}$/.test(to)) return { kind: 'user' };
  throw new ValidationError('to is not a Slack conversation or user id', [
    { field: 'to', message: 'expected a conversation id (C…, G…, D…) or a user id (U…, W…)' },
  ]);
}

/** `replyTo` → the thread's parent `ts`. */
function threadTarget(replyTo: string, to: string): string {
  const parsed = parseSlackMessageId(replyTo, /^[CGD]/.test(to) ? to : undefined);
  if (!parsed) {
    throw new ValidationError('replyTo is not a Slack message id', [
      { field: 'replyTo', message: 'expected <channel>:<ts>, a ts or our message id' },
    ]);
  }
  return parsed.ts;
}

function reactionTarget(messageId: string | undefined, to: string): { channel: string; ts: string } {
  const parsed = parseSlackMessageId(messageId ?? '', /^[CGD]/.test(to) ? to : undefined);
  if (!parsed) {
    throw new ValidationError('messageId is not a Slack message id', [
      { field: 'messageId', message: 'expected <channel>:<ts>, a ts or our message id' },
    ]);
  }
  return parsed;
}
