import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { IsHeaderToken } from '../../../common/validation/header-token';
import { EntityManager, Repository } from 'typeorm';
import { maskSecret, SecretBox } from '../../../common/crypto/secret-box';
import { verifyHubSignature } from '../../../common/crypto/hub-signature';
import { safeEqual, sha256Hex } from '../../../common/crypto/tokens';
import {
  ConflictError,
  ProviderError,
  UnprocessableError,
  ValidationError,
} from '../../../common/errors/app-error';
import { AppConfig } from '../../../config/app-config';
import type { InstanceEntity } from '../../instances/instance.entity';
import { GraphClient, GraphTarget } from '../graph/graph.client';
import type { OutboundMessage, ProviderCapabilities, SendResult } from '../normalized';
import { SecretField } from '../config-schema';
import type { ConnectResult, MediaDownload, ProviderAdapter, RawProviderRequest } from '../provider-adapter';
import { InstagramInstanceEntity } from './instagram-instance.entity';
import { LIKE_HEART, toInstagramBody } from './instagram.mapper';

export const INSTAGRAM = 'instagram';

/** `config` of an Instagram instance. */
export class InstagramConfigDto {
  /** Instagram professional account id (IG_ID). @example 17841452691600098 */
  @IsString()
  @Matches(/^\d{5,30}$/, { message: 'igId must be the numeric Instagram account id' })
  igId: string;
  /** Instagram user access token (login=instagram) or Page access token (login=facebook). */
  @SecretField() @IsString() @IsNotEmpty() @MaxLength(1024) @IsHeaderToken() accessToken: string;
  /** Instagram app secret: checks `X-Hub-Signature-256` of inbound webhooks. */
  @SecretField() @IsString() @IsNotEmpty() @MaxLength(256) appSecret: string;
  /** Meta app secret, also accepted for webhook signatures (apps using both logins). */
  @SecretField() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(256) metaAppSecret?: string;
  @SecretField() @IsString() @IsNotEmpty() @MaxLength(256) webhookVerifyToken: string;
  /** `instagram` (Instagram API with Instagram Login, default) or `facebook` (Page-linked). */
  @IsOptional() @IsIn(['instagram', 'facebook']) login?: 'instagram' | 'facebook';
  /** The linked Facebook Page (required for login=facebook). */
  @ValidateIf((o: InstagramConfigDto) => o.login === 'facebook')
  @Matches(/^\d{5,30}$/, { message: 'pageId (numeric) is required when login is facebook' })
  pageId?: string;
  @IsOptional() @Matches(/^v\d+\.\d+$/, { message: 'version must look like v23.0' }) version?: string;
}

interface InstagramCredentials {
  igId: string;
  login: 'instagram' | 'facebook';
  /** The id whose `/messages` edge sends: IG id (Instagram Login) or Page id (Page-linked). */
  senderId: string;
  token: string;
  secrets: string[];
  verifyToken: string;
  version: string;
}

const CAPABILITIES: ProviderCapabilities = {
  provider: INSTAGRAM,
  types: ['text', 'image', 'video', 'audio', 'document', 'sticker', 'reaction'],
  textMaxLength: 1000,
  captionMaxLength: 0,
  mediaByUrl: true,
  mediaByProviderId: false,
  mediaUpload: false,
  reactions: true,
  readReceipts: true,
  deliveryReceipts: false,
  maxContactsPerMessage: 0,
  qrLogin: false,
  inbound: ['webhook'],
};

const LOVE = ['❤', '❤️', 'love'];

/**
 * Instagram DMs (PROVIDERS.md §4): the Instagram API with Instagram Login
 * (`<INSTAGRAM_GRAPH_API_BASE_URL>/<ver>/<IG_ID>/messages`, Bearer user token) by default, or the
 * Page-linked variant (`<GRAPH_API_BASE_URL>/<ver>/<PAGE_ID>/messages`, Page token). Inbound at
 * `/webhooks/instagram` routed by `entry.id` (the IG account id).
 */
@Injectable()
export class InstagramAdapter implements ProviderAdapter {
  readonly key = INSTAGRAM;
  readonly capabilities = CAPABILITIES;
  readonly configDto = InstagramConfigDto;
  private readonly credentials = new Map<string, InstagramCredentials>();
  private readonly byIgId = new Map<string, string>();

  constructor(
    @InjectRepository(InstagramInstanceEntity) private readonly repo: Repository<InstagramInstanceEntity>,
    private readonly graph: GraphClient,
    private readonly secrets: SecretBox,
    private readonly config: AppConfig,
  ) {}

  /** `GET /<IG_ID>?fields=id,username` on the login's host with the token. */
  async createConfig(
    manager: EntityManager,
    instance: InstanceEntity,
    raw: object,
  ): Promise<Record<string, unknown>> {
    const c = raw as InstagramConfigDto;
    const login = c.login ?? 'instagram';
    let account: { id?: string; username?: string };
    try {
      account = await this.graph.call(this.target(login, c.accessToken, c.version ?? null), {
        path: `/${c.igId}`,
        query: { fields: 'id,username' },
      });
    } catch (err) {
      throw configError(err);
    }
    try {
      await manager.insert(InstagramInstanceEntity, {
        instanceId: instance.id,
        igId: c.igId,
        username: account.username ?? null,
        login,
        pageId: login === 'facebook' ? (c.pageId ?? null) : null,
        accessTokenEnc: this.secrets.encrypt(c.accessToken),
        appSecretEnc: this.secrets.encrypt(c.appSecret),
        metaAppSecretEnc: this.secrets.encryptOptional(c.metaAppSecret),
        webhookVerifyTokenEnc: this.secrets.encrypt(c.webhookVerifyToken),
        webhookVerifyTokenHash: sha256Hex(c.webhookVerifyToken),
        version: c.version ?? null,
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ConflictError(
          'account_already_connected',
          `Instagram account ${c.igId} is already connected`,
        );
      }
      throw err;
    }
    return { igId: c.igId, username: account.username ?? null, login };
  }

  async describeConfig(instance: InstanceEntity): Promise<Record<string, unknown>> {
    const row = await this.repo.findOne({ where: { instanceId: instance.id } });
    if (!row) return {};
    return {
      igId: row.igId,
      username: row.username,
      accountName: row.username ? `@${row.username}` : null,
      login: row.login,
      pageId: row.pageId,
      version: row.version ?? this.config.graph.version,
      accessToken: maskSecret(this.secrets.decrypt(row.accessTokenEnc)),
      appSecret: maskSecret(this.secrets.decrypt(row.appSecretEnc)),
      metaAppSecret: maskSecret(this.secrets.decryptOptional(row.metaAppSecretEnc)),
      webhookVerifyToken: maskSecret(this.secrets.decrypt(row.webhookVerifyTokenEnc)),
      webhookUrl: this.config.publicBaseUrl ? `${this.config.publicBaseUrl}/webhooks/instagram` : null,
    };
  }

  async connect(instance: InstanceEntity): Promise<ConnectResult> {
    const creds = await this.load(instance.id);
    try {
      await this.graph.call(this.targetOf(creds), { path: `/${creds.igId}`, query: { fields: 'id' } });
      return { status: 'connected', details: { igId: creds.igId, login: creds.login } };
    } catch (err) {
      if (err instanceof ProviderError && err.code === 'provider_unauthorized') {
        return { status: 'needs_reauth', reason: err.message };
      }
      if (err instanceof ProviderError) return { status: 'error', reason: err.message };
      throw err;
    }
  }

  async disconnect(): Promise<void> {}

  validateOutbound(m: OutboundMessage): void {
    if (!/^\d{5,30}$/.test(m.to)) {
      throw new ValidationError('to is not an Instagram-scoped user id', [
        { field: 'to', message: 'expected the numeric IGSID of the person' },
      ]);
    }
    const refuse = (code: string, message: string, field: string) => {
      throw new UnprocessableError(code, message, { provider: INSTAGRAM, errors: [{ field, message }] });
    };
    if (m.replyTo) refuse('reply_unsupported', 'instagram cannot send replies to a message', 'replyTo');
    if (m.type === 'sticker' && m.media?.providerMediaId !== LIKE_HEART) {
      refuse(
        'sticker_unsupported',
        `instagram sends only the ${LIKE_HEART} sticker (media.providerMediaId)`,
        'media',
      );
    }
    if (m.type !== 'sticker' && m.media?.providerMediaId) {
      refuse('media_id_unsupported', 'instagram sends media by url only', 'media.providerMediaId');
    }
    if (m.type === 'reaction' && m.emoji && !LOVE.includes(m.emoji)) {
      refuse('reaction_unsupported', 'instagram accepts only the ❤️ (love) reaction', 'emoji');
    }
  }

  async send(instance: InstanceEntity, m: OutboundMessage): Promise<SendResult> {
    const creds = await this.load(instance.id);
    const res = await this.graph.call<{ recipient_id?: string; message_id?: string }>(this.targetOf(creds), {
      path: `/${creds.senderId}/messages`,
      json: toInstagramBody(m),
    });
    const id =
      res.message_id ?? (m.type === 'reaction' ? `reaction:${m.messageId}:${Date.now()}` : undefined);
    if (!id) {
      throw new ProviderError(
        502,
        'provider_error',
        'Instagram accepted the message without returning its id',
        INSTAGRAM,
        undefined,
        undefined,
      );
    }
    return {
      providerMessageId: id,
      providerChatId: res.recipient_id ?? m.to,
      timestamp: new Date(),
      raw: res as Record<string, unknown>,
    };
  }

  /** `sender_action: mark_seen`. */
  async markRead(
    instance: InstanceEntity,
    _providerMessageId: string,
    providerChatId: string,
  ): Promise<void> {
    const creds = await this.load(instance.id);
    await this.graph.call(this.targetOf(creds), {
      path: `/${creds.senderId}/messages`,
      json: { recipient: { id: providerChatId }, sender_action: 'mark_seen' },
    });
  }

  async rawRequest(instance: InstanceEntity, req: RawProviderRequest): Promise<Record<string, unknown>> {
    const creds = await this.load(instance.id);
    return this.graph.raw(this.targetOf(creds), req, `/${creds.senderId}/messages`);
  }

  /** Inbound attachments carry a CDN URL as their media id. */
  async downloadMedia(instance: InstanceEntity, providerMediaId: string): Promise<MediaDownload> {
    if (!/^https?:\/\//.test(providerMediaId)) {
      throw new UnprocessableError('media_unavailable', 'This Instagram attachment has no downloadable URL', {
        provider: INSTAGRAM,
      });
    }
    const creds = await this.load(instance.id);
    return this.graph.download(this.targetOf(creds), providerMediaId);
  }

  async instanceForVerifyToken(token: string, instanceId?: string): Promise<string | null> {
    if (instanceId) {
      const creds = await this.load(instanceId).catch(() => null);
      return creds && safeEqual(token, creds.verifyToken) ? instanceId : null;
    }
    const row = await this.repo.findOne({
      where: { webhookVerifyTokenHash: sha256Hex(token) },
      select: { instanceId: true },
    });
    return row?.instanceId ?? null;
  }

  /** Instance of an Instagram account (webhook `entry.id`), else null. */
  async instanceForAccount(igId: string): Promise<string | null> {
    const cached = this.byIgId.get(igId);
    if (cached) return cached;
    const row = await this.repo.findOne({ where: { igId }, select: { instanceId: true } });
    if (row) this.byIgId.set(igId, row.instanceId);
    return row?.instanceId ?? null;
  }

  /** Accepted under the Instagram app secret or the Meta app secret of the instance. */
  async verifySignature(instanceId: string, rawBody: Buffer, header: string | undefined): Promise<boolean> {
    const creds = await this.load(instanceId).catch(() => null);
    return !!creds && verifyHubSignature(creds.secrets, rawBody, header);
  }

  forget(instanceId: string): void {
    const creds = this.credentials.get(instanceId);
    if (creds) this.byIgId.delete(creds.igId);
    this.credentials.delete(instanceId);
  }

  private target(login: 'instagram' | 'facebook', token: string, version: string | null): GraphTarget {
    return {
      provider: INSTAGRAM,
      baseUrl: login === 'facebook' ? this.config.graph.baseUrl : this.config.graph.instagramBaseUrl,
      version: version ?? this.config.graph.version,
      token,
    };
  }

  private targetOf(creds: InstagramCredentials): GraphTarget {
    return this.target(creds.login, creds.token, creds.version);
  }

  private async load(instanceId: string): Promise<InstagramCredentials> {
    const cached = this.credentials.get(instanceId);
    if (cached) return cached;
    const row = await this.repo.findOne({ where: { instanceId } });
    if (!row) {
      throw new UnprocessableError(
        'provider_config_missing',
        `Instance ${instanceId} has no Instagram configuration`,
      );
    }
    const meta = this.secrets.decryptOptional(row.metaAppSecretEnc);
    const creds: InstagramCredentials = {
      igId: row.igId,
      login: row.login,
      senderId: row.login === 'facebook' && row.pageId ? row.pageId : row.igId,
      token: this.secrets.decrypt(row.accessTokenEnc),
      secrets: [this.secrets.decrypt(row.appSecretEnc), ...(meta ? [meta] : [])],
      verifyToken: this.secrets.decrypt(row.webhookVerifyTokenEnc),
      version: row.version ?? this.config.graph.version,
    };
    this.credentials.set(instanceId, creds);
    return creds;
  }
}

function configError(err: unknown): unknown {
  if (!(err instanceof ProviderError)) return err;
  if (err.code === 'provider_unauthorized') {
    return new UnprocessableError(
      'invalid_access_token',
      `Meta rejected the Instagram access token (Graph code ${err.providerCode}); check config.accessToken`,
      {
        provider: INSTAGRAM,
        providerCode: err.providerCode,
        errors: [{ field: 'config.accessToken', message: 'rejected by Meta' }],
      },
    );
  }
  if (err.status === 400 || err.code === 'provider_permission_denied') {
    return new UnprocessableError(
      'invalid_ig_id',
      `Meta does not give this token access to the account (${err.providerDescription}); check config.igId`,
      {
        provider: INSTAGRAM,
        providerCode: err.providerCode,
        errors: [{ field: 'config.igId', message: 'not accessible with this token' }],
      },
    );
  }
  return err;
}
