import { Injectable } from '@nestjs/common';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { IsHeaderToken } from '../../../common/validation/header-token';
import { maskSecret } from '../../../common/crypto/secret-box';
import { ConflictError, UnprocessableError, ValidationError } from '../../../common/errors/app-error';
import { MsEntry, normalizeMessengerEntry } from '../facebook-messenger/facebook-messenger.normalizer';
import { MetaConfigInput } from '../graph/meta-config-input';
import { MetaAdapter, MetaCredentials, MetaNewConfig, MetaPlatform } from '../graph/meta-adapter';
import type { OutboundMessage, ProviderCapabilities } from '../normalized';
import { SecretField } from '../config-schema';
import { InstagramInstanceEntity } from './instagram-instance.entity';
import { LIKE_HEART, toInstagramBody } from './instagram.mapper';

export const INSTAGRAM = 'instagram';

/** `config` of an Instagram instance. */
export class InstagramConfigDto extends MetaConfigInput {
  /** Instagram professional account id (IG_ID). @example 17841452691600098 */
  @IsString()
  @Matches(/^\d{5,30}$/, { message: 'igId must be the numeric Instagram account id' })
  igId: string;
  /** Instagram user access token (login=instagram) or Page access token (login=facebook). */
  @SecretField() @IsString() @IsNotEmpty() @MaxLength(1024) @IsHeaderToken() accessToken: string;
  /** Meta app secret, also accepted for webhook signatures (apps using both logins). */
  @SecretField() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(256) metaAppSecret?: string;
  /** `instagram` (Instagram API with Instagram Login, default) or `facebook` (Page-linked). */
  @IsOptional() @IsIn(['instagram', 'facebook']) login?: 'instagram' | 'facebook';
  /** The linked Facebook Page (required for login=facebook). */
  @ValidateIf((o: InstagramConfigDto) => o.login === 'facebook')
  @Matches(/^\d{5,30}$/, { message: 'pageId (numeric) is required when login is facebook' })
  pageId?: string;
}

/** `accountId` is the IG account id; the secrets are the Instagram app secret and, optionally, the Meta one. */
interface InstagramCredentials extends MetaCredentials {
  login: 'instagram' | 'facebook';
  /** The id whose `/messages` edge sends: IG id (Instagram Login) or Page id (Page-linked). */
  senderId: string;
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

const INSTAGRAM_PLATFORM: MetaPlatform<InstagramInstanceEntity> = {
  capabilities: CAPABILITIES,
  configDto: InstagramConfigDto,
  entity: InstagramInstanceEntity,
  label: 'Instagram',
  displayName: 'Instagram',
  createExample: {
    name: 'Instagram DMs',
    config: {
      igId: '17841400000000001',
      accessToken: 'IGAAKx9ZBZA1bZBtZAEXAMPLETOKEN',
      appSecret: '9e107d9d372bb6826bd81d3542a419d6',
      webhookVerifyToken: 'choose-one',
    },
  },
  path: 'instagram',
  accountField: 'igId',
  tokenField: 'accessToken',
  normalizeEntry: (entry) => normalizeMessengerEntry(entry as MsEntry),
  toSendBody: toInstagramBody,
  refused: {
    token: 'Meta rejected the Instagram access token',
    account: 'Meta does not give this token access to the account',
  },
};

/**
 * Instagram DMs (PROVIDERS.md §4): the Instagram API with Instagram Login
 * (`<INSTAGRAM_GRAPH_API_BASE_URL>/<ver>/<IG_ID>/messages`, Bearer user token) by default, or the
 * Page-linked variant (`<GRAPH_API_BASE_URL>/<ver>/<PAGE_ID>/messages`, Page token). Inbound at
 * `/webhooks/instagram` routed by `entry.id` (the IG account id).
 */
@Injectable()
export class InstagramAdapter extends MetaAdapter<InstagramInstanceEntity, InstagramCredentials> {
  static override readonly platform = INSTAGRAM_PLATFORM;

  /** `GET /<IG_ID>?fields=id,username` on the login's host with the token. */
  protected async newConfig(raw: object): Promise<MetaNewConfig<InstagramInstanceEntity>> {
    const c = raw as InstagramConfigDto;
    const login = c.login ?? 'instagram';
    const account = await this.checkAccount<{ username?: string }>(c, 'id,username', this.hostOf(login));
    const facts = { igId: c.igId, username: account.username ?? null, login };
    return {
      row: {
        ...facts,
        pageId: login === 'facebook' ? (c.pageId ?? null) : null,
        accessTokenEnc: this.secrets.encrypt(c.accessToken),
        metaAppSecretEnc: this.secrets.encryptOptional(c.metaAppSecret),
      },
      facts,
      conflict: new ConflictError(
        'account_already_connected',
        `Instagram account ${c.igId} is already connected`,
      ),
    };
  }

  protected describeRow(row: InstagramInstanceEntity): Record<string, unknown> {
    return {
      igId: row.igId,
      username: row.username,
      accountName: row.username ? `@${row.username}` : null,
      login: row.login,
      pageId: row.pageId,
      metaAppSecret: maskSecret(this.secrets.decryptOptional(row.metaAppSecretEnc)),
    };
  }

  protected override moreCredentials(row: InstagramInstanceEntity): Partial<InstagramCredentials> {
    const meta = this.secrets.decryptOptional(row.metaAppSecretEnc);
    return {
      login: row.login,
      senderId: row.login === 'facebook' && row.pageId ? row.pageId : row.igId,
      appSecrets: [this.secrets.decrypt(row.appSecretEnc), ...(meta ? [meta] : [])],
      baseUrl: this.hostOf(row.login),
    };
  }

  protected override connectDetails(creds: InstagramCredentials): Record<string, unknown> {
    return { igId: creds.accountId, login: creds.login };
  }

  protected override messagesPath(creds: InstagramCredentials): string {
    return `/${creds.senderId}/messages`;
  }

  /** Page-linked accounts use the Facebook Graph host, Instagram Login its own. */
  private hostOf(login: 'instagram' | 'facebook'): string {
    return login === 'facebook' ? this.config.graph.baseUrl : this.config.graph.instagramBaseUrl;
  }

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
}
