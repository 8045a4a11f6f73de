import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
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
import { FacebookMessengerInstanceEntity } from './facebook-messenger-instance.entity';
import { senderAction, toSendApiBody } from './facebook-messenger.mapper';
import { FACEBOOK_MESSENGER } from './facebook-messenger.normalizer';

/** `config` of a Messenger instance (seeds/multi-provider-system.md). */
export class FacebookMessengerConfigDto {
  /** Facebook Page id. @example 112233445566778 */
  @IsString() @Matches(/^\d{5,30}$/, { message: 'pageId must be the numeric Page id' }) pageId: string;
  /** Page access token with pages_messaging. */
  @SecretField() @IsString() @IsNotEmpty() @MaxLength(1024) @IsHeaderToken() pageAccessToken: string;
  /** The Meta app's App Secret: checks `X-Hub-Signature-256` of inbound webhooks. */
  @SecretField() @IsString() @IsNotEmpty() @MaxLength(256) appSecret: string;
  /** The verify token typed into the Meta dashboard's webhook form. */
  @SecretField() @IsString() @IsNotEmpty() @MaxLength(256) webhookVerifyToken: string;
  /** Graph API version to pin, e.g. `v23.0` (default GRAPH_API_VERSION). */
  @IsOptional() @Matches(/^v\d+\.\d+$/, { message: 'version must look like v23.0' }) version?: string;
}

interface MessengerCredentials {
  pageId: string;
  token: string;
  appSecret: string;
  verifyToken: string;
  version: string;
}

const CAPABILITIES: ProviderCapabilities = {
  provider: FACEBOOK_MESSENGER,
  types: ['text', 'image', 'video', 'audio', 'document', 'reaction'],
  textMaxLength: 2000,
  captionMaxLength: 0,
  mediaByUrl: true,
  mediaByProviderId: true,
  mediaUpload: false,
  reactions: true,
  readReceipts: true,
  deliveryReceipts: true,
  maxContactsPerMessage: 0,
  qrLogin: false,
  inbound: ['webhook'],
};

/**
 * Facebook Messenger Send API and webhooks (PROVIDERS.md §3) through the in-house Graph client.
 * Inbound at `/webhooks/messenger` (routed by `entry.id` = Page id) or `/webhooks/messenger/:instanceId`.
 */
@Injectable()
export class FacebookMessengerAdapter implements ProviderAdapter {
  readonly key = FACEBOOK_MESSENGER;
  readonly capabilities = CAPABILITIES;
  readonly configDto = FacebookMessengerConfigDto;
  private readonly credentials = new Map<string, MessengerCredentials>();
  private readonly byPageId = new Map<string, string>();

  constructor(
    @InjectRepository(FacebookMessengerInstanceEntity)
    private readonly repo: Repository<FacebookMessengerInstanceEntity>,
    private readonly graph: GraphClient,
    private readonly secrets: SecretBox,
    private readonly config: AppConfig,
  ) {}

  /** `GET /<pageId>?fields=id,name` with the Page token: proves both. */
  async createConfig(
    manager: EntityManager,
    instance: InstanceEntity,
    raw: object,
  ): Promise<Record<string, unknown>> {
    const c = raw as FacebookMessengerConfigDto;
    let page: { id?: string; name?: string };
    try {
      page = await this.graph.call(this.target(c.pageAccessToken, c.version ?? null), {
        path: `/${c.pageId}`,
        query: { fields: 'id,name' },
      });
    } catch (err) {
      throw configError(err);
    }
    try {
      await manager.insert(FacebookMessengerInstanceEntity, {
        instanceId: instance.id,
        pageId: c.pageId,
        pageName: page.name ?? null,
        pageAccessTokenEnc: this.secrets.encrypt(c.pageAccessToken),
        appSecretEnc: this.secrets.encrypt(c.appSecret),
        webhookVerifyTokenEnc: this.secrets.encrypt(c.webhookVerifyToken),
        webhookVerifyTokenHash: sha256Hex(c.webhookVerifyToken),
        version: c.version ?? null,
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ConflictError(
          'page_already_connected',
          `Page ${c.pageId} is already connected to another instance`,
        );
      }
      throw err;
    }
    return { pageId: c.pageId, pageName: page.name ?? null };
  }

  async describeConfig(instance: InstanceEntity): Promise<Record<string, unknown>> {
    const row = await this.repo.findOne({ where: { instanceId: instance.id } });
    if (!row) return {};
    return {
      pageId: row.pageId,
      pageName: row.pageName,
      accountName: row.pageName,
      version: row.version ?? this.config.graph.version,
      pageAccessToken: maskSecret(this.secrets.decrypt(row.pageAccessTokenEnc)),
      appSecret: maskSecret(this.secrets.decrypt(row.appSecretEnc)),
      webhookVerifyToken: maskSecret(this.secrets.decrypt(row.webhookVerifyTokenEnc)),
      webhookUrl: this.config.publicBaseUrl ? `${this.config.publicBaseUrl}/webhooks/messenger` : null,
    };
  }

  async connect(instance: InstanceEntity): Promise<ConnectResult> {
    const creds = await this.load(instance.id);
    try {
      await this.graph.call(this.targetOf(creds), { path: `/${creds.pageId}`, query: { fields: 'id' } });
      return { status: 'connected', details: { pageId: creds.pageId } };
    } catch (err) {
      if (err instanceof ProviderError && err.code === 'provider_unauthorized') {
        return { status: 'needs_reauth', reason: err.message };
      }
      if (err instanceof ProviderError) return { status: 'error', reason: err.message };
      throw err;
    }
  }

  /** Nothing to stop: the Page subscription lives in the Meta app. */
  async disconnect(): Promise<void> {}

  validateOutbound(m: OutboundMessage): void {
    if (!/^\d{5,30}$/.test(m.to)) {
      throw new ValidationError('to is not a Messenger PSID', [
        { field: 'to', message: 'expected the numeric page-scoped id (PSID) of the person' },
      ]);
    }
    if (m.replyTo) {
      throw new UnprocessableError(
        'reply_unsupported',
        'facebook-messenger cannot send replies to a message',
        {
          provider: FACEBOOK_MESSENGER,
          errors: [{ field: 'replyTo', message: 'not supported by facebook-messenger' }],
        },
      );
    }
  }

  /** `POST /<PAGE_ID>/messages` → `message_id` (reactions answer only `recipient_id`). */
  async send(instance: InstanceEntity, m: OutboundMessage): Promise<SendResult> {
    const creds = await this.load(instance.id);
    const res = await this.graph.call<{ recipient_id?: string; message_id?: string }>(this.targetOf(creds), {
      path: `/${creds.pageId}/messages`,
      json: toSendApiBody(m),
    });
    const id =
      res.message_id ?? (m.type === 'reaction' ? `reaction:${m.messageId}:${Date.now()}` : undefined);
    if (!id) {
      throw new ProviderError(
        502,
        'provider_error',
        'Messenger accepted the message without returning its id',
        FACEBOOK_MESSENGER,
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

  /** `sender_action: mark_seen` to the person the chat is with. */
  async markRead(
    instance: InstanceEntity,
    _providerMessageId: string,
    providerChatId: string,
  ): Promise<void> {
    await this.action(instance, providerChatId, 'mark_seen');
  }

  /** `sender_action: typing_on | typing_off`. */
  async typing(instance: InstanceEntity, providerChatId: string, on: boolean): Promise<void> {
    await this.action(instance, providerChatId, on ? 'typing_on' : 'typing_off');
  }

  /** Default `POST /<PAGE_ID>/messages` with `body`. */
  async rawRequest(instance: InstanceEntity, req: RawProviderRequest): Promise<Record<string, unknown>> {
    const creds = await this.load(instance.id);
    return this.graph.raw(this.targetOf(creds), req, `/${creds.pageId}/messages`);
  }

  /** Inbound attachments carry a CDN URL as their media id: streamed from there. */
  async downloadMedia(instance: InstanceEntity, providerMediaId: string): Promise<MediaDownload> {
    if (!/^https?:\/\//.test(providerMediaId)) {
      throw new UnprocessableError('media_unavailable', 'This Messenger attachment has no downloadable URL', {
        provider: FACEBOOK_MESSENGER,
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

  /** Instance of a Page (webhook `entry.id`), else null. */
  async instanceForAccount(pageId: string): Promise<string | null> {
    const cached = this.byPageId.get(pageId);
    if (cached) return cached;
    const row = await this.repo.findOne({ where: { pageId }, select: { instanceId: true } });
    if (row) this.byPageId.set(pageId, row.instanceId);
    return row?.instanceId ?? null;
  }

  async verifySignature(instanceId: string, rawBody: Buffer, header: string | undefined): Promise<boolean> {
    const creds = await this.load(instanceId).catch(() => null);
    return !!creds && verifyHubSignature([creds.appSecret], rawBody, header);
  }

  forget(instanceId: string): void {
    const creds = this.credentials.get(instanceId);
    if (creds) this.byPageId.delete(creds.pageId);
    this.credentials.delete(instanceId);
  }

  private async action(
    instance: InstanceEntity,
    to: string,
    action: 'mark_seen' | 'typing_on' | 'typing_off',
  ) {
    const creds = await this.load(instance.id);
    await this.graph.call(this.targetOf(creds), {
      path: `/${creds.pageId}/messages`,
      json: senderAction(to, action),
    });
  }

  private target(token: string, version: string | null): GraphTarget {
    return {
      provider: FACEBOOK_MESSENGER,
      baseUrl: this.config.graph.baseUrl,
      version: version ?? this.config.graph.version,
      token,
    };
  }

  private targetOf(creds: MessengerCredentials): GraphTarget {
    return this.target(creds.token, creds.version);
  }

  private async load(instanceId: string): Promise<MessengerCredentials> {
    const cached = this.credentials.get(instanceId);
    if (cached) return cached;
    const row = await this.repo.findOne({ where: { instanceId } });
    if (!row) {
      throw new UnprocessableError(
        'provider_config_missing',
        `Instance ${instanceId} has no Messenger configuration`,
      );
    }
    const creds: MessengerCredentials = {
      pageId: row.pageId,
      token: this.secrets.decrypt(row.pageAccessTokenEnc),
      appSecret: this.secrets.decrypt(row.appSecretEnc),
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
      `Meta rejected the Page access token (Graph code ${err.providerCode}); check config.pageAccessToken`,
      {
        provider: FACEBOOK_MESSENGER,
        providerCode: err.providerCode,
        errors: [{ field: 'config.pageAccessToken', message: 'rejected by Meta' }],
      },
    );
  }
  if (err.status === 400 || err.code === 'provider_permission_denied') {
    return new UnprocessableError(
      'invalid_page_id',
      `Meta does not give this token access to the Page (${err.providerDescription}); check config.pageId`,
      {
        provider: FACEBOOK_MESSENGER,
        providerCode: err.providerCode,
        errors: [{ field: 'config.pageId', message: 'not accessible with this token' }],
      },
    );
  }
  return err;
}
