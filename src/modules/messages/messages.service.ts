import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { sha256Hex } from '../../common/crypto/tokens';
import {
  AppError,
  ProviderError,
  ConflictError,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '../../common/errors/app-error';
import { GatewayMetrics } from '../../common/metrics/gateway-metrics';
import { paginate } from '../../common/pagination/pagination';
import { InstancesService } from '../instances/instances.service';
import type { InstanceEntity } from '../instances-core/instance.entity';
import { MEDIA_TYPES, OutboundMessage } from '../providers/normalized';
import type { MediaDownload, ProviderAdapter, UploadFile } from '../providers/provider-adapter';
import { ProviderRegistry } from '../providers/provider-registry';
import { toContactCard } from '../providers/vcard';
import { LimitsService } from '../usage/limits.service';
import { UsageService } from '../usage/usage.service';
import { EventsService } from '../webhooks/events.service';
import { ChatEntity } from './chat.entity';
import { ConversationsService, json } from './conversations.service';
import { MessageEntity } from './message.entity';
import { toMessageView } from './message-view';
import type {
  HistoryQuery,
  RawProviderRequestDto,
  SendMessageDto,
  TypingDto,
  UploadMessageDto,
} from './messages.dto';
import { isUUID } from 'class-validator';

@Injectable()
export class MessagesService {
  constructor(
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    @InjectRepository(ChatEntity) private readonly chats: Repository<ChatEntity>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly instances: InstancesService,
    private readonly providers: ProviderRegistry,
    private readonly conversations: ConversationsService,
    private readonly events: EventsService,
    private readonly limits: LimitsService,
    private readonly usage: UsageService,
    private readonly metrics: GatewayMetrics,
  ) {}

  /**
   * Send flow (DESIGN.md §4): capability check → a `queued` row (claims the Idempotency-Key) →
   * provider call → `sent` + `message_sent`, or `failed` + `message_failed` and the provider's
   * error re-thrown (429 with Retry-After, 4xx for bad recipients, 502 when the provider is down).
   * The same Idempotency-Key and body return the first result without calling the provider again.
   */
  async send(principal: Principal, instanceId: string, dto: SendMessageDto, idempotencyKey?: string) {
    const instance = await this.instances.get(principal, instanceId);
    const adapter = this.providers.get(instance.provider);
    checkCapabilities(adapter, dto);
    const requestHash = idempotencyKey ? sha256Hex(JSON.stringify(dto)) : null;
    if (idempotencyKey) {
      const previous = await this.replay(instance.id, idempotencyKey, requestHash!);
      if (previous) return previous;
    }
    const resolved: OutboundMessage = {
      ...dto,
      replyTo: dto.replyTo
        ? await this.resolveProviderMessageId(instance.id, dto.replyTo, 'replyTo')
        : undefined,
      messageId: dto.messageId
        ? await this.resolveProviderMessageId(instance.id, dto.messageId, 'messageId')
        : undefined,
    };
    adapter.validateOutbound(resolved);
    const media = MEDIA_TYPES.includes(dto.type);
    await this.limits.assertCanSend(instance, media);

    let queued: MessageEntity;
    try {
      queued = await this.db.transaction(async (tx) => {
        const chatId = await this.conversations.upsertChat(
          tx,
          instance.id,
          dto.to,
          'private',
          null,
          null,
          new Date(),
        );
        return tx.save(
          tx.create(MessageEntity, {
            instanceId: instance.id,
            chatId,
            direction: 'out',
            type: dto.type,
            text: dto.text ?? (dto.type === 'reaction' ? dto.emoji : null) ?? null,
            media: MEDIA_TYPES.includes(dto.type)
              ? { ...dto.media, caption: dto.caption, fileName: dto.filename }
              : null,
            location:
              dto.type === 'location'
                ? { latitude: dto.latitude, longitude: dto.longitude, name: dto.name, address: dto.address }
                : null,
            contacts:
              dto.type === 'contacts'
                ? ((dto.contacts ?? []).map(toContactCard) as unknown as Record<string, unknown>[])
                : null,
            reaction: dto.type === 'reaction' ? { messageId: resolved.messageId, emoji: dto.emoji } : null,
            template: dto.type === 'template' ? (dto.template as unknown as Record<string, unknown>) : null,
            replyTo: resolved.replyTo ?? null,
            status: 'queued',
            idempotencyKey: idempotencyKey ?? null,
            requestHash,
          }),
        );
      });
    } catch (err) {
      if (idempotencyKey && (err as { code?: string }).code === '23505') {
        const previous = await this.replay(instance.id, idempotencyKey, requestHash!);
        if (previous) return previous;
      }
      throw err;
    }

    try {
      const result = await adapter.send(instance, resolved);
      const delivery = await this.db.transaction(async (tx) => {
        await tx.query(
          `UPDATE messages SET status = 'sent', provider_message_id = $2, provider_timestamp = $3, raw = $4,
                  status_updated_at = now(), updated_at = now() WHERE id = $1`,
          [queued.id, result.providerMessageId, result.timestamp, json(result.raw)],
        );
        await tx.query(`UPDATE chats SET last_message_at = GREATEST(last_message_at, now()) WHERE id = $1`, [
          queued.chatId,
        ]);
        Object.assign(queued, {
          status: 'sent',
          providerMessageId: result.providerMessageId,
          providerTimestamp: result.timestamp,
          raw: result.raw,
        });
        const recorded = await this.events.record(
          tx,
          instance,
          'message_sent',
          this.eventData(instance, queued, dto),
        );
        return recorded.delivery;
      });
      await this.events.enqueue([delivery]);
      this.usage.add(instance.id, { messagesSent: 1, mediaSent: media ? 1 : 0 });
      this.metrics.messages.inc({ provider: instance.provider, direction: 'out', type: dto.type });
      return toMessageView(await this.messages.findOneByOrFail({ id: queued.id }), {
        providerChatId: dto.to,
      });
    } catch (err) {
      await this.fail(instance, queued, dto, err);
      if (err instanceof ProviderError)
        this.metrics.providerErrors.inc({ provider: err.provider, code: err.code });
      if (err instanceof ProviderError && err.code === 'provider_unauthorized') {
        await this.instances.setStatus(instance, 'needs_reauth', err.message);
      }
      throw err;
    }
  }

  /**
   * The seeds' send-file: uploads `file` to the provider (WhatsApp `POST /<phone>/media`), then
   * sends it by the returned media id through {@link send}.
   * @throws UnprocessableError (422) naming the provider when it cannot upload media.
   */
  async sendUpload(
    principal: Principal,
    instanceId: string,
    dto: UploadMessageDto,
    file: UploadFile | undefined,
    idempotencyKey?: string,
  ) {
    if (!file) {
      throw new ValidationError('A multipart `file` part is required', [
        { field: 'file', message: 'required' },
      ]);
    }
    const instance = await this.instances.get(principal, instanceId);
    const adapter = this.providers.get(instance.provider);
    if (!adapter.capabilities.mediaUpload || !adapter.uploadMedia) {
      throw new UnprocessableError(
        'media_upload_unsupported',
        `${instance.provider} cannot upload media files`,
        {
          provider: instance.provider,
        },
      );
    }
    const upload = adapter.uploadMedia.bind(adapter);
    const providerMediaId = await this.provider(instance, () =>
      upload(instance, { ...file, fileName: dto.filename ?? file.fileName }),
    );
    const message: SendMessageDto = {
      to: dto.to,
      type: dto.type,
      media: { providerMediaId },
      ...(dto.caption ? { caption: dto.caption } : {}),
      ...(dto.type === 'document' ? { filename: dto.filename ?? file.fileName } : {}),
      ...(dto.replyTo ? { replyTo: dto.replyTo } : {}),
    };
    return this.send(principal, instanceId, message, idempotencyKey);
  }

  /**
   * Tells the provider an inbound message was read (WhatsApp `status: read`, Messenger `mark_seen`).
   * @throws UnprocessableError (422) naming the provider when it has no read receipts, or when the
   *   message is not an inbound one.
   */
  async markRead(principal: Principal, instanceId: string, messageId: string) {
    const { instance, message, chat } = await this.find(principal, instanceId, messageId);
    const adapter = this.providers.get(instance.provider);
    if (!adapter.markRead) {
      throw new UnprocessableError(
        'read_receipts_unsupported',
        `${instance.provider} cannot mark messages as read`,
        { provider: instance.provider },
      );
    }
    if (message.direction !== 'in' || !message.providerMessageId || !chat) {
      throw new UnprocessableError('not_an_inbound_message', 'Only received messages can be marked as read', {
        provider: instance.provider,
      });
    }
    const markRead = adapter.markRead.bind(adapter);
    await this.provider(instance, () => markRead(instance, message.providerMessageId!, chat.providerChatId));
    return { success: true, messageId: message.id, providerMessageId: message.providerMessageId };
  }

  /**
   * Shows or stops a typing indicator in a chat (our chat id or the provider's).
   * @throws UnprocessableError (422) naming the provider when it has no typing indicator.
   */
  async typing(principal: Principal, instanceId: string, chatRef: string, dto: TypingDto) {
    const instance = await this.instances.get(principal, instanceId);
    const adapter = this.providers.get(instance.provider);
    if (!adapter.typing) {
      throw new UnprocessableError('typing_unsupported', `${instance.provider} has no typing indicator`, {
        provider: instance.provider,
      });
    }
    const chat = isUUID(chatRef)
      ? await this.chats.findOne({ where: { id: chatRef, instanceId: instance.id } })
      : null;
    const typing = adapter.typing.bind(adapter);
    await this.provider(instance, () => typing(instance, chat?.providerChatId ?? chatRef, dto.on ?? true));
    return { success: true };
  }

  /**
   * The connector's raw passthrough: one provider API call with the instance's credentials.
   * @throws UnprocessableError (422) naming the provider when it has no raw API.
   */
  async raw(principal: Principal, instanceId: string, dto: RawProviderRequestDto) {
    const instance = await this.instances.get(principal, instanceId);
    const adapter = this.providers.get(instance.provider);
    if (!adapter.rawRequest) {
      throw new UnprocessableError(
        'raw_requests_unsupported',
        `${instance.provider} has no raw provider API`,
        {
          provider: instance.provider,
        },
      );
    }
    const rawRequest = adapter.rawRequest.bind(adapter);
    return this.provider(instance, () => rawRequest(instance, dto));
  }

  /** A provider call outside send(): a rejected token still moves the instance to needs_reauth. */
  private async provider<T>(instance: InstanceEntity, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ProviderError && err.code === 'provider_unauthorized') {
        await this.instances.setStatus(instance, 'needs_reauth', err.message);
      }
      throw err;
    }
  }

  private async fail(
    instance: InstanceEntity,
    queued: MessageEntity,
    dto: SendMessageDto,
    err: unknown,
  ): Promise<void> {
    const error =
      err instanceof AppError
        ? { code: err.code, status: err.status, message: err.message, ...err.extra }
        : { code: 'internal_error', message: 'send failed' };
    const delivery = await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE messages SET status = 'failed', error = $2, status_updated_at = now(), updated_at = now() WHERE id = $1`,
        [queued.id, json(error)],
      );
      Object.assign(queued, { status: 'failed', error });
      const recorded = await this.events.record(tx, instance, 'message_failed', {
        ...this.eventData(instance, queued, dto),
        error,
      });
      return recorded.delivery;
    });
    await this.events.enqueue([delivery]);
  }

  private eventData(
    instance: InstanceEntity,
    m: MessageEntity,
    dto: SendMessageDto,
  ): Record<string, unknown> {
    return {
      instanceId: instance.id,
      messageId: m.id,
      providerMessageId: m.providerMessageId,
      chatId: m.chatId,
      to: dto.to,
      direction: 'out',
      type: m.type,
      text: m.text,
      media: m.media,
      location: m.location,
      contacts: m.contacts,
      reaction: m.reaction,
      replyTo: m.replyTo,
      status: m.status,
      timestamp: Math.floor((m.providerTimestamp ?? new Date()).getTime() / 1000),
      // the seeds' names
      body: m.text,
      hasMedia: !!m.media,
      fromMe: true,
    };
  }

  /** The earlier result for this Idempotency-Key, or null when the key is new. */
  private async replay(instanceId: string, key: string, requestHash: string) {
    const previous = await this.messages.findOne({ where: { instanceId, idempotencyKey: key } });
    if (!previous) return null;
    if (previous.requestHash !== requestHash) {
      throw new UnprocessableError(
        'idempotency_key_reused',
        'This Idempotency-Key was used with a different request body',
      );
    }
    if (previous.status === 'queued')
      throw new ConflictError(
        'idempotency_in_progress',
        'A request with this Idempotency-Key is still in progress',
      );
    if (previous.status === 'failed') {
      const e = previous.error as { status?: number; code?: string; message?: string } | null;
      throw new AppError(
        e?.status ?? 502,
        e?.code ?? 'send_failed',
        e?.message ?? 'The first request with this Idempotency-Key failed',
        {
          ...(previous.error ?? {}),
          messageId: previous.id,
          idempotentReplay: true,
        },
      );
    }
    const chat = await this.chats.findOne({ where: { id: previous.chatId } });
    return toMessageView(previous, chat);
  }

  /** Our message id (uuid) → its provider id; anything else is taken as a provider id already. */
  private async resolveProviderMessageId(instanceId: string, id: string, field: string): Promise<string> {
    if (!isUUID(id)) return id;
    const m = await this.messages.findOne({
      where: { id, instanceId },
      select: { id: true, providerMessageId: true },
    });
    if (!m?.providerMessageId) {
      throw new ValidationError(`${field}: no message ${id} with a provider id in this instance`, [
        { field, message: 'unknown message id' },
      ]);
    }
    return m.providerMessageId;
  }

  async listChats(principal: Principal, instanceId: string, q: { limit?: number; skip?: number }) {
    const instance = await this.instances.get(principal, instanceId);
    const qb = this.chats
      .createQueryBuilder('c')
      .where('c.instanceId = :id', { id: instance.id })
      .orderBy('c.lastMessageAt', 'DESC', 'NULLS LAST')
      .addOrderBy('c.createdAt', 'DESC');
    const page = await paginate(qb, q, 100);
    return { chats: page.items, pagination: page.pagination };
  }

  async history(principal: Principal, instanceId: string, chatRef: string, q: HistoryQuery) {
    const instance = await this.instances.get(principal, instanceId);
    const chat = await this.chats.findOne({
      where: isUUID(chatRef)
        ? { id: chatRef, instanceId: instance.id }
        : { providerChatId: chatRef, instanceId: instance.id },
    });
    if (!chat) throw new NotFoundError('Chat', chatRef);
    const qb = this.messages
      .createQueryBuilder('m')
      .where('m.chatId = :chatId', { chatId: chat.id })
      .orderBy('m.createdAt', 'DESC');
    if (q.startDate) qb.andWhere('m.createdAt >= :start', { start: q.startDate });
    if (q.endDate) qb.andWhere('m.createdAt <= :end', { end: q.endDate });
    const page = await paginate(qb, q, 50);
    return { messages: page.items.map((m) => toMessageView(m, chat)), pagination: page.pagination };
  }

  async get(principal: Principal, instanceId: string, messageId: string) {
    const { message, chat } = await this.find(principal, instanceId, messageId);
    return toMessageView(message, chat);
  }

  /** Streams an inbound message's media from the provider with the instance's credentials. */
  async media(
    principal: Principal,
    instanceId: string,
    messageId: string,
  ): Promise<MediaDownload & { fileName?: string }> {
    const { instance, message } = await this.find(principal, instanceId, messageId);
    const media = message.media as { providerMediaId?: string; mimeType?: string; fileName?: string } | null;
    if (!media?.providerMediaId) throw new NotFoundError('Media of message', messageId);
    const adapter = this.providers.get(instance.provider);
    const download = await this.provider(instance, () =>
      adapter.downloadMedia(instance, media.providerMediaId!),
    );
    return {
      ...download,
      contentType: media.mimeType ?? download.contentType,
      fileName: media.fileName ?? download.fileName,
    };
  }

  private async find(principal: Principal, instanceId: string, messageId: string) {
    const instance = await this.instances.get(principal, instanceId);
    const message = await this.messages.findOne({
      where: isUUID(messageId)
        ? { id: messageId, instanceId: instance.id }
        : { providerMessageId: messageId, instanceId: instance.id },
    });
    if (!message) throw new NotFoundError('Message', messageId);
    const chat = await this.chats.findOne({ where: { id: message.chatId } });
    return { instance, message, chat };
  }
}

/** 422 naming the provider when it lacks the type or the content exceeds its limits. */
function checkCapabilities(adapter: ProviderAdapter, dto: SendMessageDto): void {
  const caps = adapter.capabilities;
  if (!caps.types.includes(dto.type)) {
    throw new UnprocessableError(
      'unsupported_message_type',
      `${caps.provider} does not support message type "${dto.type}"; supported: ${caps.types.join(', ')}`,
      {
        provider: caps.provider,
      },
    );
  }
  if (dto.text && dto.text.length > caps.textMaxLength) {
    throw new UnprocessableError(
      'text_too_long',
      `${caps.provider} allows at most ${caps.textMaxLength} characters of text (got ${dto.text.length})`,
      {
        provider: caps.provider,
        errors: [{ field: 'text', message: `longer than ${caps.textMaxLength} characters` }],
      },
    );
  }
  if (dto.caption && dto.caption.length > caps.captionMaxLength) {
    throw new UnprocessableError(
      'caption_too_long',
      `${caps.provider} allows at most ${caps.captionMaxLength} characters of caption`,
      {
        provider: caps.provider,
        errors: [{ field: 'caption', message: `longer than ${caps.captionMaxLength} characters` }],
      },
    );
  }
  if (dto.contacts && dto.contacts.length > caps.maxContactsPerMessage) {
    throw new UnprocessableError(
      'too_many_contacts',
      `${caps.provider} sends at most ${caps.maxContactsPerMessage} contact(s) per message`,
      {
        provider: caps.provider,
        errors: [{ field: 'contacts', message: `at most ${caps.maxContactsPerMessage}` }],
      },
    );
  }
  if (MEDIA_TYPES.includes(dto.type)) {
    const m = dto.media;
    if (!m || !!m.url === !!m.providerMediaId) {
      throw new ValidationError('media needs exactly one of url or providerMediaId', [
        { field: 'media', message: 'give url or providerMediaId' },
      ]);
    }
    if (m.url && !caps.mediaByUrl)
      throw new UnprocessableError('media_url_unsupported', `${caps.provider} cannot send media by URL`, {
        provider: caps.provider,
      });
  }
}
