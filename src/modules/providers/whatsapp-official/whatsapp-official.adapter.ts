import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsHeaderToken } from '../../../common/validation/header-token';
import { FormData } from 'undici';
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
import type {
  ConnectResult,
  MediaDownload,
  ProviderAdapter,
  RawProviderRequest,
  UploadFile,
} from '../provider-adapter';
import { WhatsappOfficialInstanceEntity } from './whatsapp-official-instance.entity';
import { toCloudApiMessage, whatsappRecipient } from './whatsapp-official.mapper';
import { WHATSAPP_OFFICIAL } from './whatsapp-official.normalizer';

/** `config` of a WhatsApp Cloud API instance (seeds/multi-provider-system.md, whatsapp-cloud-connector.md). */
export class WhatsappOfficialConfigDto {
  /** Business phone number id from WhatsApp Manager / the app's API Setup page. @example 106540352242922 */
  @IsString()
  @Matches(/^\d{5,30}$/, { message: 'phoneNumberId must be the numeric phone number id' })
  phoneNumberId: string;
  /** System-user or business access token with whatsapp_business_messaging. */
  @SecretField() @IsString() @IsNotEmpty() @MaxLength(1024) @IsHeaderToken() accessToken: string;
  /** The Meta app's App Secret: checks `X-Hub-Signature-256` of inbound webhooks. */
  @SecretField() @IsString() @IsNotEmpty() @MaxLength(256) appSecret: string;
  /** The verify token you type into the Meta dashboard's webhook form. */
  @SecretField() @IsString() @IsNotEmpty() @MaxLength(256) webhookVerifyToken: string;
  /** Graph API version to pin, e.g. `v23.0` (default GRAPH_API_VERSION). */
  @IsOptional() @Matches(/^v\d+\.\d+$/, { message: 'version must look like v23.0' }) version?: string;
  /** WhatsApp Business Account id (routes account-level webhooks). */
  @IsOptional() @Matches(/^\d{5,30}$/, { message: 'wabaId must be numeric' }) wabaId?: string;
}

interface WhatsappCredentials {
  instanceId: string;
  phoneNumberId: string;
  token: string;
  appSecret: string;
  verifyToken: string;
  version: string;
}

const CAPABILITIES: ProviderCapabilities = {
  provider: WHATSAPP_OFFICIAL,
  types: [
    'text',
    'image',
    'video',
    'audio',
    'voice',
    'document',
    'sticker',
    'location',
    'contacts',
    'template',
    'reaction',
  ],
  textMaxLength: 4096,
  captionMaxLength: 1024,
  mediaByUrl: true,
  mediaByProviderId: true,
  mediaUpload: true,
  reactions: true,
  readReceipts: true,
  deliveryReceipts: true,
  maxContactsPerMessage: 20,
  qrLogin: false,
  inbound: ['webhook'],
};

/** Raw passthrough paths: relative Graph paths only (no host, no `..`). */

/**
 * WhatsApp Cloud API (PROVIDERS.md §2) through the in-house Graph client. Inbound arrives at
 * `/webhooks/whatsapp` (routed by `metadata.phone_number_id`) or `/webhooks/whatsapp/:instanceId`;
 * the webhook itself is configured in the Meta dashboard, so connect/disconnect only check the token.
 */
@Injectable()
export class WhatsappOfficialAdapter implements ProviderAdapter {
  readonly key = WHATSAPP_OFFICIAL;
  readonly capabilities = CAPABILITIES;
  readonly configDto = WhatsappOfficialConfigDto;
  private readonly credentials = new Map<string, WhatsappCredentials>();
  private readonly byPhoneNumberId = new Map<string, string>();

  constructor(
    @InjectRepository(WhatsappOfficialInstanceEntity)
    private readonly repo: Repository<WhatsappOfficialInstanceEntity>,
    private readonly graph: GraphClient,
    private readonly secrets: SecretBox,
    private readonly config: AppConfig,
  ) {}

  /** `GET /<phoneNumberId>` with the token: proves both, and yields the display number. */
  async createConfig(
    manager: EntityManager,
    instance: InstanceEntity,
    raw: object,
  ): Promise<Record<string, unknown>> {
    const c = raw as WhatsappOfficialConfigDto;
    const target = this.target(c.accessToken, c.version ?? null);
    let phone: { display_phone_number?: string; verified_name?: string };
    try {
      phone = await this.graph.call(target, {
        path: `/${c.phoneNumberId}`,
        query: { fields: 'display_phone_number,verified_name' },
      });
    } catch (err) {
      throw configError(err);
    }
    try {
      await manager.insert(WhatsappOfficialInstanceEntity, {
        instanceId: instance.id,
        phoneNumberId: c.phoneNumberId,
        wabaId: c.wabaId ?? null,
        displayPhoneNumber: phone.display_phone_number ?? null,
        verifiedName: phone.verified_name ?? null,
        accessTokenEnc: this.secrets.encrypt(c.accessToken),
        appSecretEnc: this.secrets.encrypt(c.appSecret),
        webhookVerifyTokenEnc: this.secrets.encrypt(c.webhookVerifyToken),
        webhookVerifyTokenHash: sha256Hex(c.webhookVerifyToken),
        version: c.version ?? null,
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ConflictError(
          'phone_number_already_connected',
          `Phone number id ${c.phoneNumberId} is already connected to another instance`,
        );
      }
      throw err;
    }
    return {
      phoneNumberId: c.phoneNumberId,
      displayPhoneNumber: phone.display_phone_number ?? null,
      verifiedName: phone.verified_name ?? null,
    };
  }

  async describeConfig(instance: InstanceEntity): Promise<Record<string, unknown>> {
    const row = await this.repo.findOne({ where: { instanceId: instance.id } });
    if (!row) return {};
    return {
      phoneNumberId: row.phoneNumberId,
      wabaId: row.wabaId,
      displayPhoneNumber: row.displayPhoneNumber,
      verifiedName: row.verifiedName,
      accountName: row.verifiedName ?? row.displayPhoneNumber,
      version: row.version ?? this.config.graph.version,
      accessToken: maskSecret(this.secrets.decrypt(row.accessTokenEnc)),
      appSecret: maskSecret(this.secrets.decrypt(row.appSecretEnc)),
      webhookVerifyToken: maskSecret(this.secrets.decrypt(row.webhookVerifyTokenEnc)),
      webhookUrl: this.config.publicBaseUrl ? `${this.config.publicBaseUrl}/webhooks/whatsapp` : null,
    };
  }

  /** Re-checks the token; a token error (190) → `needs_reauth`. */
  async connect(instance: InstanceEntity): Promise<ConnectResult> {
    const creds = await this.load(instance.id);
    try {
      await this.graph.call(this.targetOf(creds), {
        path: `/${creds.phoneNumberId}`,
        query: { fields: 'id' },
      });
      return { status: 'connected', details: { phoneNumberId: creds.phoneNumberId } };
    } catch (err) {
      if (err instanceof ProviderError && err.code === 'provider_unauthorized') {
        return { status: 'needs_reauth', reason: err.message };
      }
      if (err instanceof ProviderError) return { status: 'error', reason: err.message };
      throw err;
    }
  }

  /** Nothing to stop: the webhook subscription lives in the Meta app, not per instance. */
  async disconnect(): Promise<void> {}

  validateOutbound(m: OutboundMessage): void {
    whatsappRecipient(m.to);
    if (m.tag) {
      throw new UnprocessableError(
        'message_tags_unsupported',
        'WhatsApp has no message tags: send a template',
        {
          provider: WHATSAPP_OFFICIAL,
          errors: [{ field: 'tag', message: 'not supported by whatsapp-official' }],
        },
      );
    }
    if (m.type === 'template' && !/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/.test(m.template?.language ?? '')) {
      throw new ValidationError('template.language must be a WhatsApp language code', [
        { field: 'template.language', message: 'e.g. en_US or de' },
      ]);
    }
  }

  /** `POST /<PHONE_NUMBER_ID>/messages` → `messages[0].id` (the wamid). */
  async send(instance: InstanceEntity, m: OutboundMessage): Promise<SendResult> {
    const creds = await this.load(instance.id);
    const res = await this.graph.call<{
      contacts?: { input?: string; wa_id?: string }[];
      messages?: { id?: string }[];
    }>(this.targetOf(creds), { path: `/${creds.phoneNumberId}/messages`, json: toCloudApiMessage(m) });
    const id = res.messages?.[0]?.id;
    if (!id) {
      throw new ProviderError(
        502,
        'provider_error',
        'WhatsApp accepted the message without returning its id',
        WHATSAPP_OFFICIAL,
        undefined,
        undefined,
      );
    }
    return {
      providerMessageId: id,
      providerChatId: m.to.replace(/^\+/, ''),
      timestamp: new Date(),
      raw: res as Record<string, unknown>,
    };
  }

  /** `{"messaging_product":"whatsapp","status":"read","message_id":"wamid…"}` on the messages endpoint. */
  async markRead(instance: InstanceEntity, providerMessageId: string): Promise<void> {
    const creds = await this.load(instance.id);
    await this.graph.call(this.targetOf(creds), {
      path: `/${creds.phoneNumberId}/messages`,
      json: { messaging_product: 'whatsapp', status: 'read', message_id: providerMessageId },
    });
  }

  /** `POST /<PHONE_NUMBER_ID>/media` multipart (`messaging_product`, `type`, `file`) → media id (30 days). */
  async uploadMedia(instance: InstanceEntity, file: UploadFile): Promise<string> {
    const creds = await this.load(instance.id);
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('type', file.mimeType);
    form.set(
      'file',
      new Blob([new Uint8Array(file.buffer)], { type: file.mimeType }),
      file.fileName ?? 'file',
    );
    const res = await this.graph.call<{ id?: string }>(this.targetOf(creds), {
      path: `/${creds.phoneNumberId}/media`,
      form,
    });
    if (!res.id) {
      throw new ProviderError(
        502,
        'provider_error',
        'WhatsApp accepted the upload without returning a media id',
        WHATSAPP_OFFICIAL,
        undefined,
        undefined,
      );
    }
    return res.id;
  }

  /** The connector's `out.raw`: default `POST /<PHONE_NUMBER_ID>/messages` with `body`. */
  async rawRequest(instance: InstanceEntity, req: RawProviderRequest): Promise<Record<string, unknown>> {
    const creds = await this.load(instance.id);
    return this.graph.raw(this.targetOf(creds), req, `/${creds.phoneNumberId}/messages`);
  }

  /** `GET /<MEDIA_ID>` → `{url, mime_type}`, then the URL with the same Bearer token (valid 5 min). */
  async downloadMedia(instance: InstanceEntity, providerMediaId: string): Promise<MediaDownload> {
    const creds = await this.load(instance.id);
    const target = this.targetOf(creds);
    const meta = await this.graph.call<{ url?: string; mime_type?: string; file_size?: string | number }>(
      target,
      { path: `/${encodeURIComponent(providerMediaId)}` },
    );
    if (!meta.url) {
      throw new ProviderError(
        502,
        'provider_error',
        'WhatsApp returned no URL for this media',
        WHATSAPP_OFFICIAL,
        undefined,
        undefined,
      );
    }
    const download = await this.graph.download(target, meta.url);
    return {
      ...download,
      contentType: meta.mime_type ?? download.contentType,
      size: download.size ?? (meta.file_size !== undefined ? Number(meta.file_size) : undefined),
    };
  }

  /** Instance id whose verify token equals `token` (GET handshake of the shared URL), else null. */
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

  /** Instance of a business phone number id (webhook routing), else null. */
  async instanceForPhoneNumberId(phoneNumberId: string): Promise<string | null> {
    const cached = this.byPhoneNumberId.get(phoneNumberId);
    if (cached) return cached;
    const row = await this.repo.findOne({ where: { phoneNumberId }, select: { instanceId: true } });
    if (row) this.byPhoneNumberId.set(phoneNumberId, row.instanceId);
    return row?.instanceId ?? null;
  }

  /** Instances of a WhatsApp Business Account (account-level webhooks carry only `entry.id`). */
  async instancesForWaba(wabaId: string): Promise<string[]> {
    const rows = await this.repo.find({ where: { wabaId }, select: { instanceId: true } });
    return rows.map((r) => r.instanceId);
  }

  /** Whether `X-Hub-Signature-256` over `rawBody` was made with this instance's app secret. */
  async verifySignature(instanceId: string, rawBody: Buffer, header: string | undefined): Promise<boolean> {
    const creds = await this.load(instanceId).catch(() => null);
    return !!creds && verifyHubSignature([creds.appSecret], rawBody, header);
  }

  /** Drops cached credentials (instance deleted). */
  forget(instanceId: string): void {
    const creds = this.credentials.get(instanceId);
    if (creds) this.byPhoneNumberId.delete(creds.phoneNumberId);
    this.credentials.delete(instanceId);
  }

  private target(token: string, version: string | null): GraphTarget {
    return {
      provider: WHATSAPP_OFFICIAL,
      baseUrl: this.config.graph.baseUrl,
      version: version ?? this.config.graph.version,
      token,
    };
  }

  private targetOf(creds: WhatsappCredentials): GraphTarget {
    return this.target(creds.token, creds.version);
  }

  private async load(instanceId: string): Promise<WhatsappCredentials> {
    const cached = this.credentials.get(instanceId);
    if (cached) return cached;
    const row = await this.repo.findOne({ where: { instanceId } });
    if (!row) {
      throw new UnprocessableError(
        'provider_config_missing',
        `Instance ${instanceId} has no WhatsApp Cloud configuration`,
      );
    }
    const creds: WhatsappCredentials = {
      instanceId,
      phoneNumberId: row.phoneNumberId,
      token: this.secrets.decrypt(row.accessTokenEnc),
      appSecret: this.secrets.decrypt(row.appSecretEnc),
      verifyToken: this.secrets.decrypt(row.webhookVerifyTokenEnc),
      version: row.version ?? this.config.graph.version,
    };
    this.credentials.set(instanceId, creds);
    return creds;
  }
}

/** A failed credential check at creation → 422 naming the config field. */
function configError(err: unknown): unknown {
  if (!(err instanceof ProviderError)) return err;
  if (err.code === 'provider_unauthorized') {
    return new UnprocessableError(
      'invalid_access_token',
      `Meta rejected the access token (Graph code ${err.providerCode}); check config.accessToken`,
      {
        provider: WHATSAPP_OFFICIAL,
        providerCode: err.providerCode,
        errors: [{ field: 'config.accessToken', message: 'rejected by Meta' }],
      },
    );
  }
  if (err.status === 400 || err.code === 'provider_permission_denied') {
    return new UnprocessableError(
      'invalid_phone_number_id',
      `Meta does not know phone number id for this token (${err.providerDescription}); check config.phoneNumberId`,
      {
        provider: WHATSAPP_OFFICIAL,
        providerCode: err.providerCode,
        errors: [{ field: 'config.phoneNumberId', message: 'not accessible with this token' }],
      },
    );
  }
  return err;
}
