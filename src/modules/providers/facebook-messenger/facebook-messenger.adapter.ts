import { Injectable } from '@nestjs/common';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { IsHeaderToken } from '../../../common/validation/header-token';
import { ConflictError, UnprocessableError, ValidationError } from '../../../common/errors/app-error';
import type { InstanceEntity } from '../../instances-core/instance.entity';
import { MetaConfigInput } from '../graph/meta-config-input';
import { MetaAdapter, MetaNewConfig, MetaPlatform } from '../graph/meta-adapter';
import type { OutboundMessage, ProviderCapabilities } from '../normalized';
import { SecretField } from '../config-schema';
import { FacebookMessengerInstanceEntity } from './facebook-messenger-instance.entity';
import { toSendApiBody } from './facebook-messenger.mapper';
import { FACEBOOK_MESSENGER, MsEntry, normalizeMessengerEntry } from './facebook-messenger.normalizer';

/** `config` of a Messenger instance (seeds/multi-provider-system.md). */
export class FacebookMessengerConfigDto extends MetaConfigInput {
  /** Facebook Page id. @example 112233445566778 */
  @IsString() @Matches(/^\d{5,30}$/, { message: 'pageId must be the numeric Page id' }) pageId: string;
  /** Page access token with pages_messaging. */
  @SecretField() @IsString() @IsNotEmpty() @MaxLength(1024) @IsHeaderToken() pageAccessToken: string;
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

const MESSENGER_PLATFORM: MetaPlatform<FacebookMessengerInstanceEntity> = {
  capabilities: CAPABILITIES,
  configDto: FacebookMessengerConfigDto,
  entity: FacebookMessengerInstanceEntity,
  label: 'Messenger',
  displayName: 'Facebook Messenger',
  createExample: {
    name: 'Page inbox',
    config: {
      pageId: '345678901234567',
      pageAccessToken: 'EAAGm0PX4ZCpsBAPAGEZBx1ZBfOZAvEXAMPLE',
      appSecret: '4c3ac6ae4a6b1b7c2d0e9f8a7b6c5d4e',
      webhookVerifyToken: 'choose-one',
    },
  },
  path: 'messenger',
  accountField: 'pageId',
  tokenField: 'pageAccessToken',
  normalizeEntry: (entry) => normalizeMessengerEntry(entry as MsEntry),
  toSendBody: toSendApiBody,
  refused: {
    token: 'Meta rejected the Page access token',
    account: 'Meta does not give this token access to the Page',
  },
};

/**
 * Facebook Messenger Send API and webhooks (PROVIDERS.md §3) through the in-house Graph client.
 * Inbound at `/webhooks/messenger` (routed by `entry.id` = Page id) or `/webhooks/messenger/:instanceId`.
 */
@Injectable()
export class FacebookMessengerAdapter extends MetaAdapter<FacebookMessengerInstanceEntity> {
  static override readonly platform = MESSENGER_PLATFORM;

  /** `GET /<pageId>?fields=id,name` with the Page token: proves both. */
  protected async newConfig(raw: object): Promise<MetaNewConfig<FacebookMessengerInstanceEntity>> {
    const c = raw as FacebookMessengerConfigDto;
    const page = await this.checkAccount<{ name?: string }>(c, 'id,name');
    const facts = { pageId: c.pageId, pageName: page.name ?? null };
    return {
      row: { ...facts, pageAccessTokenEnc: this.secrets.encrypt(c.pageAccessToken) },
      facts,
      conflict: new ConflictError(
        'page_already_connected',
        `Page ${c.pageId} is already connected to another instance`,
      ),
    };
  }

  protected describeRow(row: FacebookMessengerInstanceEntity): Record<string, unknown> {
    return { pageId: row.pageId, pageName: row.pageName, accountName: row.pageName };
  }

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

  /** `sender_action: typing_on | typing_off`. */
  async typing(instance: InstanceEntity, providerChatId: string, on: boolean): Promise<void> {
    await this.senderAction(instance, providerChatId, on ? 'typing_on' : 'typing_off');
  }
}
