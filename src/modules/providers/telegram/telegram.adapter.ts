import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsString, Matches } from 'class-validator';
import type { Message, ReactionTypeEmoji } from 'grammy/types';
import { EntityManager, Repository } from 'typeorm';
import { maskSecret, SecretBox } from '../../../common/crypto/secret-box';
import { randomToken, safeEqual, sha256Hex } from '../../../common/crypto/tokens';
import {
  ConflictError,
  ProviderError,
  UnprocessableError,
  ValidationError,
} from '../../../common/errors/app-error';
import { AppConfig } from '../../../config/app-config';
import type { InstanceEntity } from '../../instances-core/instance.entity';
import type { ContactCard, OutboundMessage, ProviderCapabilities, SendResult } from '../normalized';
import { cardPhones, contactCardToVCard, hasMoreThanNameAndPhone, TELEGRAM_VCARD_MAX_BYTES } from '../vcard';
import { SecretField } from '../config-schema';
import type { ConnectResult, MediaDownload, ProviderAdapter } from '../provider-adapter';
import type {
  ConnectionSource,
  InboundHttpRequest,
  InboundWebhookResult,
  InboundWebhookSource,
  ProviderConnection,
} from '../provider-seams';
import { TelegramPollingConnection, TelegramPollingStore } from './telegram-polling.connection';
import { TelegramInstanceEntity } from './telegram-instance.entity';
import { receiveTelegramWebhook, TELEGRAM_WEBHOOK_ROUTES } from './telegram-webhook';
import { TELEGRAM, TelegramClient } from './telegram.client';
import { parseTelegramMessageId, telegramMessageId } from './telegram.normalizer';

/** `config` of a Telegram instance (seeds/multi-provider-system.md). */
export class TelegramConfigDto {
  /** Bot token from @BotFather, `<bot id>:<secret>`. @example 123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZ */
  @SecretField()
  @IsString()
  @Matches(/^\d+:[A-Za-z0-9_-]+$/, { message: 'botToken must look like <bot id>:<secret> (from @BotFather)' })
  botToken: string;
}

/** Update kinds asked for in setWebhook/getUpdates (reactions are opt-in on Telegram's side). */
export const TELEGRAM_ALLOWED_UPDATES = [
  'message',
  'edited_message',
  'channel_post',
  'edited_channel_post',
  'message_reaction',
] as const;

interface TelegramCredentials {
  token: string;
  secretToken: string;
  mode: 'webhook' | 'polling';
}

const CAPABILITIES: ProviderCapabilities = {
  provider: TELEGRAM,
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
    'reaction',
  ],
  textMaxLength: 4096,
  captionMaxLength: 1024,
  mediaByUrl: true,
  mediaByProviderId: true,
  mediaUpload: false,
  reactions: true,
  readReceipts: false,
  deliveryReceipts: false,
  maxContactsPerMessage: 1,
  qrLogin: false,
  inbound: ['webhook', 'polling'],
};

/**
 * Telegram Bot API through grammY (PROVIDERS.md §1). Bots without a public URL are long-polled
 * by the connection runtime (ConnectionSource → TelegramPollingConnection).
 */
@Injectable()
export class TelegramAdapter
  implements ProviderAdapter, InboundWebhookSource, ConnectionSource, TelegramPollingStore
{
  static readonly key = TELEGRAM;
  static readonly createExample = {
    name: 'Support bot',
    config: { botToken: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw' },
  };
  static readonly webhooks = TELEGRAM_WEBHOOK_ROUTES;
  readonly webhookRoutes = TELEGRAM_WEBHOOK_ROUTES;
  readonly key = TELEGRAM;
  readonly label = 'Telegram';
  /** Telegram user ids are numeric but no phone numbers. */
  readonly numericContactIdIsPhone = false;
  readonly capabilities = CAPABILITIES;
  readonly configDto = TelegramConfigDto;
  private readonly logger = new Logger(TelegramAdapter.name);
  private readonly credentials = new Map<string, TelegramCredentials>();

  constructor(
    @InjectRepository(TelegramInstanceEntity) private readonly repo: Repository<TelegramInstanceEntity>,
    private readonly client: TelegramClient,
    private readonly secrets: SecretBox,
    private readonly config: AppConfig,
  ) {}

  async createConfig(
    manager: EntityManager,
    instance: InstanceEntity,
    raw: object,
  ): Promise<Record<string, unknown>> {
    const { botToken } = raw as TelegramConfigDto;
    let me;
    try {
      me = await this.client.call('getMe', () => this.client.api(botToken).getMe());
    } catch (err) {
      this.client.forget(botToken);
      if (err instanceof ProviderError && err.providerCode === 401) {
        throw new UnprocessableError(
          'invalid_bot_token',
          'Telegram rejected the bot token (getMe: 401 Unauthorized); check config.botToken',
          {
            provider: TELEGRAM,
            providerCode: 401,
            errors: [{ field: 'config.botToken', message: 'rejected by Telegram' }],
          },
        );
      }
      throw err;
    }
    const row = manager.create(TelegramInstanceEntity, {
      instanceId: instance.id,
      botTokenEnc: this.secrets.encrypt(botToken),
      botTokenHash: sha256Hex(botToken),
      botId: String(me.id),
      botUsername: me.username ?? null,
      mode: this.config.publicBaseUrl ? 'webhook' : 'polling',
      webhookSecretTokenEnc: this.secrets.encrypt(randomToken(32)),
    });
    try {
      await manager.insert(TelegramInstanceEntity, row);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ConflictError(
          'bot_already_connected',
          `Bot @${me.username} is already connected to another instance`,
        );
      }
      throw err;
    }
    return { botId: me.id, botUsername: me.username, mode: row.mode };
  }

  async describeConfig(instance: InstanceEntity): Promise<Record<string, unknown>> {
    const row = await this.repo.findOne({ where: { instanceId: instance.id } });
    if (!row) return {};
    return {
      botId: row.botId,
      botUsername: row.botUsername,
      accountName: row.botUsername ? `@${row.botUsername}` : null,
      botToken: maskSecret(this.secrets.decrypt(row.botTokenEnc)),
      mode: row.mode,
      webhookUrl: row.mode === 'webhook' ? this.inboundUrl(instance.id) : null,
    };
  }

  async connect(instance: InstanceEntity): Promise<ConnectResult> {
    const creds = await this.load(instance.id);
    const api = this.client.api(creds.token);
    try {
      if (creds.mode === 'webhook') {
        await this.client.call('setWebhook', () =>
          api.setWebhook(this.inboundUrl(instance.id), {
            secret_token: creds.secretToken,
            allowed_updates: [...TELEGRAM_ALLOWED_UPDATES],
          }),
        );
      } else {
        await this.client.call('deleteWebhook', () => api.deleteWebhook({ drop_pending_updates: false }));
      }
      return { status: 'connected', details: { mode: creds.mode } };
    } catch (err) {
      if (err instanceof ProviderError && err.providerCode === 401) {
        return {
          status: 'needs_reauth',
          reason: 'Telegram rejected the bot token (401); create the instance again with a valid token',
        };
      }
      if (err instanceof ProviderError) return { status: 'error', reason: err.message };
      throw err;
    }
  }

  async disconnect(instance: InstanceEntity): Promise<void> {
    const creds = await this.load(instance.id);
    if (creds.mode === 'webhook') {
      await this.client
        .call('deleteWebhook', () => this.client.api(creds.token).deleteWebhook())
        .catch((err) => {
          this.logger.warn({ err: (err as Error).message, instanceId: instance.id }, 'deleteWebhook failed');
        });
    }
  }

  validateOutbound(m: OutboundMessage): void {
    telegramChatId(m.to);
    if (m.replyTo) replyParameters(m.replyTo, m.to);
    if (m.type === 'reaction') reactionTarget(m.messageId);
    if (m.type === 'contacts' && m.contacts?.[0]) telegramContact(m.contacts[0]);
  }

  async send(instance: InstanceEntity, m: OutboundMessage): Promise<SendResult> {
    const { token } = await this.load(instance.id);
    const api = this.client.api(token);
    const chatId = telegramChatId(m.to);
    const reply = m.replyTo ? replyParameters(m.replyTo, m.to) : undefined;
    const common = { ...(reply ? { reply_parameters: reply } : {}) };
    const media = m.media?.providerMediaId ?? m.media?.url ?? '';
    const caption = m.caption ? { caption: m.caption } : {};
    const call = (method: string, fn: () => Promise<Message | true>) => this.client.call(method, fn);
    let sent: Message | true;
    switch (m.type) {
      case 'text':
        sent = await call('sendMessage', () =>
          api.sendMessage(chatId, m.text ?? '', {
            ...common,
            ...(m.previewUrl === undefined ? {} : { link_preview_options: { is_disabled: !m.previewUrl } }),
          }),
        );
        break;
      case 'image':
        sent = await call('sendPhoto', () => api.sendPhoto(chatId, media, { ...common, ...caption }));
        break;
      case 'video':
        sent = await call('sendVideo', () => api.sendVideo(chatId, media, { ...common, ...caption }));
        break;
      case 'audio':
        sent = await call('sendAudio', () => api.sendAudio(chatId, media, { ...common, ...caption }));
        break;
      case 'voice':
        sent = await call('sendVoice', () => api.sendVoice(chatId, media, { ...common, ...caption }));
        break;
      case 'document':
        sent = await call('sendDocument', () => api.sendDocument(chatId, media, { ...common, ...caption }));
        break;
      case 'sticker':
        sent = await call('sendSticker', () => api.sendSticker(chatId, media, common));
        break;
      case 'location':
        sent = await call('sendLocation', () => api.sendLocation(chatId, m.latitude!, m.longitude!, common));
        break;
      case 'contacts': {
        const c = telegramContact(m.contacts![0]);
        sent = await call('sendContact', () =>
          api.sendContact(chatId, c.phone_number, c.first_name, {
            ...common,
            ...(c.last_name ? { last_name: c.last_name } : {}),
            ...(c.vcard ? { vcard: c.vcard } : {}),
          }),
        );
        break;
      }
      case 'reaction': {
        const target = reactionTarget(m.messageId);
        const reaction: ReactionTypeEmoji[] = m.emoji
          ? [{ type: 'emoji', emoji: m.emoji as ReactionTypeEmoji['emoji'] }]
          : [];
        await call('setMessageReaction', () => api.setMessageReaction(chatId, target.messageId, reaction));
        return {
          providerMessageId: `${telegramMessageId(chatId, target.messageId)}:reaction:${Date.now()}`,
          providerChatId: String(chatId),
          timestamp: new Date(),
          raw: { ok: true, result: true },
        };
      }
      default:
        throw new UnprocessableError(
          'unsupported_message_type',
          `Telegram does not support message type ${m.type}`,
          { provider: TELEGRAM },
        );
    }
    const msg = sent as Message;
    return {
      providerMessageId: telegramMessageId(msg.chat.id, msg.message_id),
      providerChatId: String(msg.chat.id),
      timestamp: new Date(msg.date * 1000),
      raw: msg as unknown as Record<string, unknown>,
    };
  }

  async downloadMedia(instance: InstanceEntity, providerMediaId: string): Promise<MediaDownload> {
    const { token } = await this.load(instance.id);
    return this.client.download(token, providerMediaId);
  }

  /** `POST /webhooks/telegram/:instanceId` (receiveTelegramWebhook). */
  receive(req: InboundHttpRequest): Promise<InboundWebhookResult> {
    return receiveTelegramWebhook(req, (id, header) => this.verifyWebhookSecret(id, header));
  }

  /** Constant-time check of `X-Telegram-Bot-Api-Secret-Token` (PROVIDERS.md §1.3). */
  async verifyWebhookSecret(instanceId: string, header: string | undefined): Promise<boolean> {
    if (!header) return false;
    const creds = await this.load(instanceId).catch(() => null);
    return !!creds && safeEqual(header, creds.secretToken);
  }

  /** Instances in polling mode (no PUBLIC_BASE_URL at creation); the runtime skips those waiting for the user. */
  async connectionTargets(): Promise<string[]> {
    const rows = await this.repo.find({ where: { mode: 'polling' }, select: { instanceId: true } });
    return rows.map((r) => r.instanceId);
  }

  openConnection(instance: InstanceEntity): ProviderConnection {
    return new TelegramPollingConnection(instance, this.client, this, {
      timeoutSeconds: this.config.telegram.pollTimeoutSeconds,
      allowedUpdates: TELEGRAM_ALLOWED_UPDATES,
    });
  }

  /** The bot token and next getUpdates offset of a polling instance; null when its config is gone. */
  async pollingState(instanceId: string): Promise<{ token: string; offset: number } | null> {
    const row = await this.repo.findOne({ where: { instanceId } });
    if (!row) return null;
    return { token: this.secrets.decrypt(row.botTokenEnc), offset: Number(row.updateOffset) };
  }

  async saveOffset(instanceId: string, offset: number): Promise<void> {
    await this.repo.update({ instanceId }, { updateOffset: String(offset) });
  }

  /** Drops cached credentials (instance deleted). */
  forget(instanceId: string): void {
    const creds = this.credentials.get(instanceId);
    if (creds) this.client.forget(creds.token);
    this.credentials.delete(instanceId);
  }

  private inboundUrl(instanceId: string): string {
    return `${this.config.publicBaseUrl}/webhooks/telegram/${instanceId}`;
  }

  private async load(instanceId: string): Promise<TelegramCredentials> {
    const cached = this.credentials.get(instanceId);
    if (cached) return cached;
    const row = await this.repo.findOne({ where: { instanceId } });
    if (!row)
      throw new UnprocessableError(
        'provider_config_missing',
        `Instance ${instanceId} has no Telegram configuration`,
      );
    const creds: TelegramCredentials = {
      token: this.secrets.decrypt(row.botTokenEnc),
      secretToken: this.secrets.decrypt(row.webhookSecretTokenEnc),
      mode: row.mode,
    };
    this.credentials.set(instanceId, creds);
    return creds;
  }
}

/** `to` → chat_id: a (possibly negative) integer, or `@channelusername`. */
export function telegramChatId(to: string): number | string {
  if (/^-?\d+$/.test(to)) return Number(to);
  if (/^@\w{4,}$/.test(to)) return to;
  throw new ValidationError('to is not a Telegram chat id', [
    { field: 'to', message: 'expected a numeric chat id or @channelusername' },
  ]);
}

function replyParameters(replyTo: string, to: string): { message_id: number; chat_id?: number | string } {
  const parsed = parseTelegramMessageId(replyTo);
  if (!parsed)
    throw new ValidationError('replyTo is not a Telegram message id', [
      { field: 'replyTo', message: 'expected <chat_id>:<message_id>, a message_id or our message id' },
    ]);
  const chat = parsed.chatId && parsed.chatId !== to ? { chat_id: telegramChatId(parsed.chatId) } : {};
  return { message_id: parsed.messageId, ...chat };
}

function reactionTarget(messageId: string | undefined): { chatId?: string; messageId: number } {
  const target = parseTelegramMessageId(messageId ?? '');
  if (!target) {
    throw new ValidationError('messageId is not a Telegram message id', [
      { field: 'messageId', message: 'expected <chat_id>:<message_id>, a message_id or our message id' },
    ]);
  }
  return target;
}

/**
 * A contact card → `sendContact` params (PROVIDERS.md §1.1): `phone_number` = the first phone,
 * `first_name` = firstName (else the formatted name), `last_name`, and `vcard` = the card's own
 * vCard text, else a vCard 3.0 generated from the card when it says more than those three fields
 * (name parts, more phones, types, wa_id, emails, org, urls, addresses, birthday).
 * @throws UnprocessableError (422, provider telegram) naming `contacts.0.phone` when the card has
 *   no phone, or `contacts.0` when the vCard exceeds Telegram's 2048 bytes.
 */
export function telegramContact(card: ContactCard): {
  phone_number: string;
  first_name: string;
  last_name?: string;
  vcard?: string;
} {
  const phone = cardPhones(card)[0]?.phone;
  if (!phone) {
    throw new UnprocessableError(
      'contact_without_phone',
      'Telegram sends contacts with a phone number only',
      {
        provider: TELEGRAM,
        errors: [{ field: 'contacts.0.phone', message: 'Telegram sendContact needs phone_number' }],
      },
    );
  }
  const vcard = card.vcard ?? (hasMoreThanNameAndPhone(card) ? contactCardToVCard(card) : undefined);
  const bytes = vcard ? Buffer.byteLength(vcard, 'utf8') : 0;
  if (bytes > TELEGRAM_VCARD_MAX_BYTES) {
    throw new UnprocessableError(
      'vcard_too_long',
      `Telegram allows a vCard of at most ${TELEGRAM_VCARD_MAX_BYTES} bytes; this card makes ${bytes}`,
      {
        provider: TELEGRAM,
        errors: [
          { field: 'contacts.0', message: `vCard of ${bytes} bytes, more than ${TELEGRAM_VCARD_MAX_BYTES}` },
        ],
      },
    );
  }
  return {
    phone_number: phone,
    first_name: card.firstName || card.name,
    ...(card.lastName ? { last_name: card.lastName } : {}),
    ...(vcard ? { vcard } : {}),
  };
}
