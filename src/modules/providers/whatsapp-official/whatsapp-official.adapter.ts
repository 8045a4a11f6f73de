import { Injectable } from '@nestjs/common';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsHeaderToken } from '../../../common/validation/header-token';
import { FormData } from 'undici';
import { ConflictError, UnprocessableError, ValidationError } from '../../../common/errors/app-error';
import type { InstanceEntity } from '../../instances-core/instance.entity';
import { MetaAdapter, MetaNewConfig, MetaPlatform, MetaRoutedPart } from '../graph/meta-adapter';
import type { OutboundMessage, ProviderCapabilities, SendResult } from '../normalized';
import { isObject } from '../payload-shape';
import { MetaConfigInput } from '../graph/meta-config-input';
import { SecretField } from '../config-schema';
import type { MediaDownload, UploadFile } from '../provider-adapter';
import { WhatsappOfficialInstanceEntity } from './whatsapp-official-instance.entity';
import { toCloudApiMessage, whatsappRecipient } from './whatsapp-official.mapper';
import {
  normalizeWhatsAppChange,
  normalizeWhatsAppEntry,
  phoneNumberIdOf,
  WaChange,
  WHATSAPP_OFFICIAL,
} from './whatsapp-official.normalizer';

/** `config` of a WhatsApp Cloud API instance (seeds/multi-provider-system.md, whatsapp-cloud-connector.md). */
export class WhatsappOfficialConfigDto extends MetaConfigInput {
  /** Business phone number id from WhatsApp Manager / the app's API Setup page. @example 106540352242922 */
  @IsString()
  @Matches(/^\d{5,30}$/, { message: 'phoneNumberId must be the numeric phone number id' })
  phoneNumberId: string;
  /** System-user or business access token with whatsapp_business_messaging. */
  @SecretField() @IsString() @IsNotEmpty() @MaxLength(1024) @IsHeaderToken() accessToken: string;
  /** WhatsApp Business Account id (routes account-level webhooks). */
  @IsOptional() @Matches(/^\d{5,30}$/, { message: 'wabaId must be numeric' }) wabaId?: string;
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

const WHATSAPP_PLATFORM: MetaPlatform<WhatsappOfficialInstanceEntity> = {
  capabilities: CAPABILITIES,
  configDto: WhatsappOfficialConfigDto,
  entity: WhatsappOfficialInstanceEntity,
  label: 'WhatsApp',
  displayName: 'WhatsApp Official',
  createExample: {
    name: 'Support line',
    config: {
      phoneNumberId: '123456789012345',
      accessToken: 'EAAGm0PX4ZCpsBAKZCZBx1ZBfOZAvEXAMPLE',
      appSecret: '1222e786b144d0e85b9f365372d93676',
      webhookVerifyToken: 'choose-one',
      wabaId: '234567890123456',
      version: 'v23.0',
    },
  },
  path: 'whatsapp',
  accountField: 'phoneNumberId',
  tokenField: 'accessToken',
  normalizeEntry: normalizeWhatsAppEntry,
  toSendBody: toCloudApiMessage,
  refused: {
    token: 'Meta rejected the access token',
    account: 'Meta does not know phone number id for this token',
  },
};

/**
 * WhatsApp Cloud API (PROVIDERS.md §2) through the in-house Graph client. Inbound arrives at
 * `/webhooks/whatsapp` (routed by `metadata.phone_number_id`) or `/webhooks/whatsapp/:instanceId`;
 * the webhook itself is configured in the Meta dashboard, so connect/disconnect only check the token.
 */
@Injectable()
export class WhatsappOfficialAdapter extends MetaAdapter<WhatsappOfficialInstanceEntity> {
  static override readonly platform = WHATSAPP_PLATFORM;

  /** `GET /<phoneNumberId>` with the token: proves both, and yields the display number. */
  protected async newConfig(raw: object): Promise<MetaNewConfig<WhatsappOfficialInstanceEntity>> {
    const c = raw as WhatsappOfficialConfigDto;
    const phone = await this.checkAccount<{ display_phone_number?: string; verified_name?: string }>(
      c,
      'display_phone_number,verified_name',
    );
    const facts = {
      phoneNumberId: c.phoneNumberId,
      displayPhoneNumber: phone.display_phone_number ?? null,
      verifiedName: phone.verified_name ?? null,
    };
    return {
      row: { ...facts, wabaId: c.wabaId ?? null, accessTokenEnc: this.secrets.encrypt(c.accessToken) },
      facts,
      conflict: new ConflictError(
        'phone_number_already_connected',
        `Phone number id ${c.phoneNumberId} is already connected to another instance`,
      ),
    };
  }

  protected describeRow(row: WhatsappOfficialInstanceEntity): Record<string, unknown> {
    return {
      phoneNumberId: row.phoneNumberId,
      wabaId: row.wabaId,
      displayPhoneNumber: row.displayPhoneNumber,
      verifiedName: row.verifiedName,
      accountName: row.verifiedName ?? row.displayPhoneNumber,
    };
  }

  /**
   * Shared URL (PROVIDERS.md §2.3): each change → its instance by `metadata.phone_number_id`, else
   * by the entry's WABA id (account-level changes, and an entry too malformed to have changes).
   */
  protected override async routeEntry(entry: unknown): Promise<MetaRoutedPart[]> {
    const wabaId = isObject(entry) ? entry.id : undefined;
    const byWaba = async (): Promise<string[]> =>
      typeof wabaId === 'string' || typeof wabaId === 'number' ? this.instancesForWaba(String(wabaId)) : [];
    const changes = isObject(entry) && Array.isArray(entry.changes) ? entry.changes : null;
    if (!changes)
      return [{ instanceIds: await byWaba(), items: normalizeWhatsAppEntry(entry), context: { wabaId } }];
    const parts: MetaRoutedPart[] = [];
    for (const change of changes) {
      const phoneNumberId = phoneNumberIdOf(change);
      const instanceIds = phoneNumberId
        ? [await this.instanceForAccount(phoneNumberId)].filter((x): x is string => !!x)
        : await byWaba();
      const field = isObject(change) ? change.field : undefined;
      parts.push({
        instanceIds,
        items: normalizeWhatsAppChange(change as WaChange),
        context: { phoneNumberId, wabaId, field },
      });
    }
    return parts;
  }

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
  override async send(instance: InstanceEntity, m: OutboundMessage): Promise<SendResult> {
    const res = await this.postMessage<{
      contacts?: { input?: string; wa_id?: string }[];
      messages?: { id?: string }[];
    }>(instance, this.meta.toSendBody(m));
    const id = res.messages?.[0]?.id;
    if (!id) {
      throw this.missing('WhatsApp accepted the message without returning its id');
    }
    return {
      providerMessageId: id,
      providerChatId: m.to.replace(/^\+/, ''),
      timestamp: new Date(),
      raw: res as Record<string, unknown>,
    };
  }

  /** `{"messaging_product":"whatsapp","status":"read","message_id":"wamid…"}` on the messages endpoint. */
  override async markRead(instance: InstanceEntity, providerMessageId: string): Promise<void> {
    await this.postMessage(instance, {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: providerMessageId,
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
      path: `/${creds.accountId}/media`,
      form,
    });
    if (!res.id) {
      throw this.missing('WhatsApp accepted the upload without returning a media id');
    }
    return res.id;
  }

  /** `GET /<MEDIA_ID>` → `{url, mime_type}`, then the URL with the same Bearer token (valid 5 min). */
  override async downloadMedia(instance: InstanceEntity, providerMediaId: string): Promise<MediaDownload> {
    const creds = await this.load(instance.id);
    const target = this.targetOf(creds);
    const meta = await this.graph.call<{ url?: string; mime_type?: string; file_size?: string | number }>(
      target,
      { path: `/${encodeURIComponent(providerMediaId)}` },
    );
    if (!meta.url) {
      throw this.missing('WhatsApp returned no URL for this media');
    }
    const download = await this.graph.download(target, meta.url);
    return {
      ...download,
      contentType: meta.mime_type ?? download.contentType,
      size: download.size ?? (meta.file_size !== undefined ? Number(meta.file_size) : undefined),
    };
  }

  /** Instances of a WhatsApp Business Account (account-level webhooks carry only `entry.id`). */
  async instancesForWaba(wabaId: string): Promise<string[]> {
    const rows = await this.repo.find({ where: { wabaId }, select: { instanceId: true } });
    return rows.map((r) => r.instanceId);
  }
}
