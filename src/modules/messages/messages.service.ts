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
import { BatchSendItemDto } from './messages.dto';
import type {
  HistoryQuery,
  RawProviderRequestDto,
  SendMessageDto,
  TypingDto,
  UploadMessageDto,
} from './messages.dto';
import { isUUID } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import type { SendResult } from '../providers/normalized';
import { ChatActivity } from './chat-activity';
import { SendQueueService } from './send-queue/send-queue.service';
import type { SendMessageJob } from '../../common/queues/queues';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { flattenValidationErrors } from '../../common/errors/validation-exception.factory';
import type { FieldError } from '../../common/errors/app-error';
import {
  ChatIds,
  OUTBOUND_COLUMNS,
  OUTBOUND_VALUES,
  outboundParams,
  outboundValues,
  writeMessageWithEvent,
} from './outbound-sql';

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
    private readonly chatActivity: ChatActivity,
    private readonly config: AppConfig,
    private readonly sendQueue: SendQueueService,
  ) {
    this.chatIds = new ChatIds(db);
  }

  private readonly chatIds: ChatIds;

  /**
   * Send flow (DESIGN.md §4): capability check → the adapter's `prepareSend` (I/O before anything
   * is written, e.g. WhatsApp Web fetching media by URL; its 4xx leaves no row) → provider call →
   * the message (`sent`), its `message_sent` event and the event's delivery in ONE statement
   * (data-modifying CTEs, atomic),
   * or on a provider error the message as `failed` with `message_failed`, and the provider's error
   * re-thrown (429 with Retry-After, 4xx for bad recipients, 502 when the provider is down).
   * With an Idempotency-Key the `queued` row is written first (it claims the key), then moved to
   * `sent`/`failed` in one statement; the same key and body return the first result without
   * calling the provider again. The chat's `last_message_at` is stamped in batches (ChatActivity):
   * no send takes a lock on its chat's row (issue 11). The instance is the copy this process read
   * in the last 2 s (InstancesService.getRecent); the event's webhook settings are read as it is written.
   * @returns the stored message (toMessageView), built from the written row without re-reading it.
   */
  async send(
    principal: Principal,
    instanceId: string,
    dto: SendMessageDto,
    idempotencyKey?: string,
  ): Promise<MessageView> {
    const instance = await this.instances.getRecent(principal, instanceId);
    const prepared = await this.prepare(instance, dto, idempotencyKey);
    if ('replay' in prepared) return prepared.replay;
    const { adapter, resolved, requestHash, media } = prepared;
    await this.limits.assertCanSend(instance, media);
    // the adapter's I/O before anything is written (WhatsApp Web fetches media by URL): a refusal leaves no row
    const outbound = adapter.prepareSend ? await adapter.prepareSend(instance, resolved) : resolved;
    const chatId = await this.chatIds.resolve(instance.id, dto.to);
    const message = this.newOutbound(instance.id, chatId, dto, resolved, idempotencyKey, requestHash);
    let claimed = false;
    if (idempotencyKey) {
      try {
        await this.db.query(
          `INSERT INTO messages (${OUTBOUND_COLUMNS}) VALUES (${OUTBOUND_VALUES}) RETURNING created_at`,
          outboundParams(message),
        );
        claimed = true;
      } catch (err) {
        if ((err as { code?: string }).code === '23505') {
          const previous = await this.replay(instance.id, idempotencyKey, requestHash!);
          if (previous) return previous;
        }
        throw err;
      }
    }

    let result: SendResult;
    try {
      result = await adapter.send(instance, outbound);
    } catch (err) {
      await this.finish(instance, message, dto, { error: err }, claimed);
      if (err instanceof ProviderError)
        this.metrics.providerErrors.inc({ provider: err.provider, code: err.code });
      if (err instanceof ProviderError && err.code === 'provider_unauthorized') {
        await this.instances.setStatus(instance, 'needs_reauth', err.message);
      }
      throw err;
    }
    await this.finish(instance, message, dto, { result }, claimed);
    this.usage.add(instance.id, { messagesSent: 1, mediaSent: media ? 1 : 0 });
    this.metrics.messages.inc({ provider: instance.provider, direction: 'out', type: dto.type });
    return toMessageView(message, { providerChatId: dto.to });
  }

  /**
   * `Prefer: respond-async` (RFC 7240): checks the message like {@link send}, counts it against
   * `maxMessagesSent` now, stores it as `queued` and hands it to the send queue, which sends it
   * paced by the provider's limits, in order within the chat, retrying provider 429s at their
   * Retry-After, and ends it `sent` / `failed` with `message_sent` / `message_failed`.
   * The same Idempotency-Key and body return the stored message (whatever its status).
   * @returns the stored message, status `queued` (or the earlier one of this key).
   * @throws what {@link send} throws before the provider call (4xx naming the field, 429 limit_exceeded)
   */
  async sendAsync(
    principal: Principal,
    instanceId: string,
    dto: SendMessageDto,
    idempotencyKey?: string,
  ): Promise<MessageView> {
    const instance = await this.instances.get(principal, instanceId);
    const [outcome] = await this.queueMany(instance, [{ dto, idempotencyKey }]);
    if ('error' in outcome) throw outcome.error;
    return outcome.view;
  }

  /**
   * `POST …/messages/batch`: up to 100 messages, each checked on its own (DTO rules, provider
   * capabilities, its own idempotency key, the instance's daily limits). Valid ones are queued in
   * ONE statement, in the order given (which is their send order within a chat); invalid ones are
   * rejected with their index, code and fields, and nothing of theirs is stored.
   * @returns `{queued: [{index, id, status, idempotentReplay?}], rejected: [{index, status, code, detail, errors?}]}`
   */
  async sendBatch(principal: Principal, instanceId: string, items: unknown[]) {
    const instance = await this.instances.get(principal, instanceId);
    const rejected: BatchRejection[] = [];
    const valid: { index: number; dto: SendMessageDto; idempotencyKey?: string }[] = [];
    for (const [index, item] of items.entries()) {
      const dto = plainToInstance(BatchSendItemDto, item);
      const problems = flattenValidationErrors(
        await validate(dto, { whitelist: true, forbidNonWhitelisted: true }),
      );
      if (problems.length) {
        rejected.push({
          index,
          status: 400,
          code: 'validation_failed',
          detail: `messages[${index}]: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
          errors: problems,
        });
        continue;
      }
      const { idempotencyKey, ...message } = dto;
      valid.push({ index, dto: message as SendMessageDto, idempotencyKey });
    }
    const outcomes = await this.queueMany(instance, valid);
    const queued: { index: number; id: string; status: string; idempotentReplay?: boolean }[] = [];
    outcomes.forEach((o, k) => {
      const index = valid[k].index;
      if ('error' in o) rejected.push({ index, ...rejection(o.error) });
      else
        queued.push({
          index,
          id: o.view.id,
          status: o.view.status,
          ...(o.replay ? { idempotentReplay: true } : {}),
        });
    });
    rejected.sort((a, b) => a.index - b.index);
    return { queued, rejected };
  }

  /**
   * Checks and queues messages of one instance: per message the send checks, the idempotency
   * replay and the daily limit (counted as each is accepted); then every accepted message in ONE
   * multi-row INSERT (status `queued`, `outbound` = the resolved message, `queue_seq` in the given
   * order) and their jobs. @returns one outcome per input, in order.
   */
  private async queueMany(
    instance: InstanceEntity,
    inputs: { dto: SendMessageDto; idempotencyKey?: string }[],
  ): Promise<({ view: MessageView; replay?: boolean } | { error: unknown })[]> {
    const outcomes: ({ view: MessageView; replay?: boolean } | { error: unknown })[] = [];
    const accepted: {
      k: number;
      message: MessageEntity;
      resolved: OutboundMessage;
      media: boolean;
      dto: SendMessageDto;
    }[] = [];
    const chatIds = await this.chatIds.resolveMany(
      instance.id,
      inputs.map((i) => i.dto.to),
    );
    for (const [k, { dto, idempotencyKey }] of inputs.entries()) {
      try {
        const prepared = await this.prepare(instance, dto, idempotencyKey, true);
        if ('replay' in prepared) {
          outcomes[k] = { view: prepared.replay, replay: true };
          continue;
        }
        await this.limits.assertCanSend(instance, prepared.media);
        const message = this.newOutbound(
          instance.id,
          chatIds.get(dto.to)!,
          dto,
          prepared.resolved,
          idempotencyKey,
          prepared.requestHash,
        );
        message.outbound = prepared.resolved as unknown as Record<string, unknown>;
        accepted.push({ k, message, resolved: prepared.resolved, media: prepared.media, dto });
        // counted now, so the next message of the batch sees it (limits apply when queued)
        this.usage.add(instance.id, { messagesSent: 1, mediaSent: prepared.media ? 1 : 0 });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        outcomes[k] = { error: err };
      }
    }
    if (accepted.length) {
      const params: unknown[] = [];
      const tuples = accepted.map(({ message }) => {
        const base = params.length;
        params.push(...outboundParams(message), json(message.outbound));
        return `(${outboundValues(base)}, $${base + 19}, nextval('messages_queue_seq'))`;
      });
      const rows: { id: string; created_at: Date }[] = await this.db.query(
        `INSERT INTO messages (${OUTBOUND_COLUMNS}, outbound, queue_seq) VALUES ${tuples.join(', ')}
         ON CONFLICT (instance_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING id, created_at`,
        params,
      );
      const written = new Map(rows.map((r) => [r.id, r.created_at]));
      const jobs: SendMessageJob[] = [];
      for (const a of accepted) {
        const createdAt = written.get(a.message.id);
        if (createdAt) {
          a.message.createdAt = a.message.updatedAt = createdAt;
          this.chatActivity.touch(a.message.chatId, createdAt);
          jobs.push({ messageId: a.message.id, instanceId: instance.id, chatId: a.message.chatId });
          outcomes[a.k] = { view: toMessageView(a.message, { providerChatId: a.dto.to }) };
          continue;
        }
        // a concurrent request (or an earlier item of this batch) took the key first
        this.usage.add(instance.id, { messagesSent: -1, mediaSent: a.media ? -1 : 0 });
        try {
          const previous = await this.replay(
            instance.id,
            a.message.idempotencyKey!,
            a.message.requestHash!,
            true,
          );
          outcomes[a.k] = previous
            ? { view: previous, replay: true }
            : {
                error: new ConflictError(
                  'idempotency_in_progress',
                  'A request with this Idempotency-Key is still in progress',
                ),
              };
        } catch (err) {
          outcomes[a.k] = { error: err };
        }
      }
      await this.sendQueue.enqueue(jobs);
    }
    return outcomes;
  }

  /**
   * Checks shared by every send: capabilities, the Idempotency-Key's earlier result, our message
   * ids in replyTo/messageId resolved to the provider's, and the adapter's own validation.
   * @returns `{replay}` when the key was seen with this body, else what the send needs.
   * @throws UnprocessableError / ValidationError (4xx naming the field)
   */
  private async prepare(
    instance: InstanceEntity,
    dto: SendMessageDto,
    idempotencyKey?: string,
    queuedIsResult = false,
  ): Promise<
    | { replay: MessageView }
    | { adapter: ProviderAdapter; resolved: OutboundMessage; requestHash: string | null; media: boolean }
  > {
    const adapter = this.providers.get(instance.provider);
    checkCapabilities(adapter, dto);
    const requestHash = idempotencyKey ? sha256Hex(JSON.stringify(dto)) : null;
    if (idempotencyKey) {
      const previous = await this.replay(instance.id, idempotencyKey, requestHash!, queuedIsResult);
      if (previous) return { replay: previous };
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
    return { adapter, resolved, requestHash, media: MEDIA_TYPES.includes(dto.type) };
  }

  /** A new outbound message (status `queued`, id generated here), not yet written. */
  private newOutbound(
    instanceId: string,
    chatId: string,
    dto: SendMessageDto,
    resolved: OutboundMessage,
    idempotencyKey: string | undefined | null,
    requestHash: string | null,
  ): MessageEntity {
    const now = new Date();
    return Object.assign(new MessageEntity(), {
      id: randomUUID(),
      instanceId,
      chatId,
      direction: 'out',
      providerMessageId: null,
      type: dto.type,
      text: dto.text ?? (dto.type === 'reaction' ? dto.emoji : null) ?? null,
      media: MEDIA_TYPES.includes(dto.type)
        ? stripUndefined({ ...dto.media, caption: dto.caption, fileName: dto.filename })
        : null,
      location:
        dto.type === 'location'
          ? stripUndefined({
              latitude: dto.latitude,
              longitude: dto.longitude,
              name: dto.name,
              address: dto.address,
            })
          : null,
      contacts:
        dto.type === 'contacts'
          ? ((dto.contacts ?? []).map(toContactCard) as unknown as Record<string, unknown>[])
          : null,
      reaction:
        dto.type === 'reaction' ? stripUndefined({ messageId: resolved.messageId, emoji: dto.emoji }) : null,
      template: dto.type === 'template' ? (dto.template as unknown as Record<string, unknown>) : null,
      replyTo: resolved.replyTo ?? null,
      sender: null,
      status: 'queued',
      error: null,
      idempotencyKey: idempotencyKey ?? null,
      requestHash,
      raw: null,
      providerTimestamp: null,
      editedAt: null,
      statusUpdatedAt: null,
      createdAt: now,
      updatedAt: now,
    } satisfies Partial<MessageEntity>);
  }

  /**
   * Ends a send in ONE statement: the message row (inserted, or updated when `claimed` — its
   * `queued` row exists) as `sent` with the provider's id, or `failed` with the error, plus the
   * `message_sent` / `message_failed` event and its delivery; then enqueues the delivery.
   * `message` is updated in place to what was written.
   * @throws NotFoundError when the instance was deleted meanwhile (nothing is written)
   */
  async finish(
    instance: InstanceEntity,
    message: MessageEntity,
    dto: SendMessageDto,
    outcome: { result: SendResult } | { error: unknown },
    claimed: boolean,
  ): Promise<void> {
    if ('result' in outcome) {
      const r = outcome.result;
      Object.assign(message, {
        status: 'sent',
        providerMessageId: r.providerMessageId,
        providerTimestamp: r.timestamp,
        raw: r.raw,
        error: null,
      });
    } else {
      Object.assign(message, { status: 'failed', error: errorBody(outcome.error) });
    }
    message.statusUpdatedAt = new Date();
    message.updatedAt = message.statusUpdatedAt;
    if (!claimed) message.createdAt = message.statusUpdatedAt;
    const type = message.status === 'sent' ? 'message_sent' : 'message_failed';
    const data = this.eventData(instance, message, dto);
    if (message.status === 'failed') data.error = message.error;
    const params: unknown[] = claimed
      ? [
          message.id,
          message.status,
          message.providerMessageId,
          message.providerTimestamp,
          json(message.raw),
          json(message.error),
        ]
      : outboundParams(message);
    const write = claimed
      ? `UPDATE messages SET status = $2, provider_message_id = $3, provider_timestamp = $4, raw = $5, error = $6,
                status_updated_at = now(), updated_at = now()
          WHERE id = $1 AND status = 'queued' RETURNING created_at, updated_at, status_updated_at`
      : `INSERT INTO messages (${OUTBOUND_COLUMNS}) VALUES (${OUTBOUND_VALUES})
         RETURNING created_at, updated_at, status_updated_at`;
    const delivery = await writeMessageWithEvent(
      this.db,
      this.config.webhooks.maxPayloadBytes,
      instance,
      type,
      data,
      { sql: write, params },
    ).catch((err: unknown) => {
      // a foreign key: the instance (and its chats) was deleted while the provider was called
      if ((err as { code?: string }).code === '23503') throw new NotFoundError('Instance', instance.id);
      throw err;
    });
    if (delivery.row) {
      message.createdAt = delivery.row.created_at;
      message.updatedAt = delivery.row.updated_at;
      message.statusUpdatedAt = delivery.row.status_updated_at;
    }
    this.chatActivity.touch(message.chatId, message.updatedAt);
    await this.events.enqueue([delivery.delivery]);
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

  /**
   * The earlier result for this Idempotency-Key, or null when the key is new. A `queued` message
   * is the result when `queuedIsResult` (async sends), else a 409 (a sync send still in flight).
   */
  private async replay(instanceId: string, key: string, requestHash: string, queuedIsResult = false) {
    const previous = await this.messages.findOne({ where: { instanceId, idempotencyKey: key } });
    if (!previous) return null;
    if (previous.requestHash !== requestHash) {
      throw new UnprocessableError(
        'idempotency_key_reused',
        'This Idempotency-Key was used with a different request body',
      );
    }
    if (previous.status === 'queued' && !queuedIsResult)
      throw new ConflictError(
        'idempotency_in_progress',
        'A request with this Idempotency-Key is still in progress',
      );
    if (previous.status === 'failed' && !queuedIsResult) {
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
    await this.chatActivity.flush();
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

/** A batch item that was not queued: its index and the problem (as the API would have answered it alone). */
export interface BatchRejection {
  index: number;
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
}

function rejection(err: unknown): Omit<BatchRejection, 'index'> {
  if (!(err instanceof AppError)) return { status: 500, code: 'internal_error', detail: 'not queued' };
  const errors = err.extra.errors as FieldError[] | undefined;
  return { status: err.status, code: err.code, detail: err.message, ...(errors ? { errors } : {}) };
}

/** A message as the API returns it. */
export type MessageView = ReturnType<typeof toMessageView>;

/** The problem body of a failed send, stored in `messages.error` and the `message_failed` event. */
export function errorBody(err: unknown): Record<string, unknown> {
  return err instanceof AppError
    ? { code: err.code, status: err.status, message: err.message, ...err.extra }
    : { code: 'internal_error', message: 'send failed' };
}

/** The object without its undefined fields (what a jsonb round trip would return). */
function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
