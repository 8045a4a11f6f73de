import { ApiProperty } from '@nestjs/swagger';
import type { ApiPropertyOptions } from '@nestjs/swagger';
import { PaginationDto } from '../../common/pagination/pagination.dto';
import { ChatEntity } from './chat.entity';

/** A nullable reference to one of the event part components (event-schemas.ts). */
const part = (name: string, description?: string): ApiPropertyOptions => ({
  anyOf: [{ $ref: `#/components/schemas/${name}` }, { type: 'null' }],
  ...(description ? { description } : {}),
});

const STATUSES = ['queued', 'sent', 'delivered', 'read', 'played', 'failed', 'received'];

/** `metadata` of a message (the seeds' shape). */
export class MessageMetadataDto {
  /** Unix seconds of the provider's timestamp. */
  timestamp: number | null;
}

/**
 * A message as the API returns it: our normalized fields plus the seeds' names (remoteJid,
 * fromMe, messageType, content, messageId, hasMedia, …) for existing clients.
 */
export class MessageDto {
  /** Our message id. */
  id: string;
  instanceId: string;
  /** Our chat id. */
  chatId: string;
  /** The provider's chat id. */
  providerChatId: string | null;
  @ApiProperty({ enum: ['in', 'out'] }) direction: string;
  /** The provider's message id; null until the provider accepted it. */
  providerMessageId: string | null;
  /** text, image, video, audio, voice, document, sticker, location, contacts, template, reaction, … */
  type: string;
  text: string | null;
  @ApiProperty(part('EventMedia')) media: unknown;
  @ApiProperty(part('EventLocation')) location: unknown;
  @ApiProperty({
    anyOf: [{ type: 'array', items: { $ref: '#/components/schemas/EventContactCard' } }, { type: 'null' }],
  })
  contacts: unknown;
  @ApiProperty(part('EventReaction')) reaction: unknown;
  /** The provider id of the message replied to. */
  replyTo: string | null;
  @ApiProperty(part('EventParty', 'The sender (inbound messages)')) from: unknown;
  @ApiProperty({ enum: STATUSES }) status: string;
  /** Why the message failed: the send's problem (`code`, `status`, `message`) or the provider's error. */
  @ApiProperty({ anyOf: [{ type: 'object', additionalProperties: true }, { type: 'null' }] }) error: unknown;
  /** When the provider says the message was sent or received. */
  timestamp: Date | null;
  editedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  statusUpdatedAt: Date | null;
  /** = providerChatId (the seeds' name). */
  remoteJid: string | null;
  fromMe: boolean;
  /** = type */
  messageType: string;
  /** = text */
  content: string | null;
  /** = providerMessageId */
  messageId: string | null;
  hasMedia: boolean;
  mediaUrl: string | null;
  caption: string | null;
  mimeType: string | null;
  fileName: string | null;
  metadata: MessageMetadataDto;
}

/** `GET …/chats/{chatId}/messages`. */
export class MessageListDto {
  messages: MessageDto[];
  pagination: PaginationDto;
}

/** `GET …/chats`. */
export class ChatListDto {
  chats: ChatEntity[];
  pagination: PaginationDto;
}

/** `POST …/messages/{messageId}/read`. */
export class MarkReadResultDto {
  success: boolean;
  /** Our message id. */
  messageId: string;
  providerMessageId: string;
}

/** A queued item of `POST …/messages/batch`. */
export class BatchQueuedItemDto {
  /** Its index in `messages`. */
  index: number;
  /** Our message id. */
  id: string;
  /** `queued`; for an idempotent replay, the stored message's current status. */
  @ApiProperty({ enum: STATUSES }) status: string;
  /** True when the item's idempotencyKey was seen before with the same message: nothing new was queued. */
  idempotentReplay?: boolean;
}

/** A field a batch item was rejected for. */
export class BatchFieldErrorDto {
  /** The field inside the item, e.g. `text` or `media.url`. */
  field: string;
  message: string;
}

/** A rejected item of `POST …/messages/batch`: the problem the item would have got alone. */
export class BatchRejectedItemDto {
  /** Its index in `messages`. */
  index: number;
  /** The HTTP status the item alone would have got (400, 422, 429, …). */
  status: number;
  /** e.g. `validation_failed`, `unsupported_message_type`, `limit_exceeded`, `idempotency_key_reused`. */
  code: string;
  detail: string;
  @ApiProperty({ type: [BatchFieldErrorDto], required: false }) errors?: BatchFieldErrorDto[];
}

/** Answer of `POST …/messages/batch` (202). */
export class BatchSendResultDto {
  @ApiProperty({ type: [BatchQueuedItemDto] }) queued: BatchQueuedItemDto[];
  @ApiProperty({ type: [BatchRejectedItemDto] }) rejected: BatchRejectedItemDto[];
}
