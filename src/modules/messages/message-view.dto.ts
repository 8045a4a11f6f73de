import { ApiProperty } from '@nestjs/swagger';
import { PaginationDto } from '../../common/pagination/pagination.dto';

const STATUSES = ['queued', 'sent', 'delivered', 'read', 'played', 'failed', 'received'];
const nullableObject = { type: 'object', additionalProperties: true, nullable: true } as const;
const nullableString = { type: String, nullable: true } as const;

/** A message as the API returns it (toMessageView): our normalized fields plus the seeds' names. */
export class MessageViewDto {
  id: string;
  instanceId: string;
  chatId: string;
  /** The provider's chat id. */
  @ApiProperty(nullableString) providerChatId: string | null;
  @ApiProperty({ enum: ['in', 'out'] }) direction: 'in' | 'out';
  @ApiProperty(nullableString) providerMessageId: string | null;
  /** `text`, `image`, `video`, `audio`, `voice`, `document`, `sticker`, `location`, `contacts`, `reaction`, `template`, … */
  type: string;
  @ApiProperty(nullableString) text: string | null;
  /** `{providerMediaId?, url?, mimeType?, fileName?, caption?, size?}` */
  @ApiProperty(nullableObject) media: Record<string, unknown> | null;
  @ApiProperty(nullableObject) location: Record<string, unknown> | null;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, nullable: true })
  contacts: Record<string, unknown>[] | null;
  @ApiProperty(nullableObject) reaction: Record<string, unknown> | null;
  /** Provider message id this one replies to. */
  @ApiProperty(nullableString) replyTo: string | null;
  /** The sender as the provider described it (`{id, name?, username?, isBot?}`); null for ours. */
  @ApiProperty(nullableObject) from: Record<string, unknown> | null;
  /** Out: `queued` → `sent` → `delivered` → `read` (`played`), or `failed`; in: `received`. */
  @ApiProperty({ enum: STATUSES }) status: string;
  /** The provider's error of a failed message (`code`, `message`, …). */
  @ApiProperty(nullableObject) error: Record<string, unknown> | null;
  /** When the provider says it was sent or received. */
  @ApiProperty({ type: Date, nullable: true }) timestamp: Date | null;
  @ApiProperty({ type: Date, nullable: true }) editedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  @ApiProperty({ type: Date, nullable: true }) statusUpdatedAt: Date | null;
  /** Seeds' name: the provider's chat id. */
  @ApiProperty(nullableString) remoteJid: string | null;
  /** Seeds' name: direction is `out`. */
  fromMe: boolean;
  /** Seeds' name of `type`. */
  messageType: string;
  /** Seeds' name of `text`. */
  @ApiProperty(nullableString) content: string | null;
  /** Seeds' name of `providerMessageId`. */
  @ApiProperty(nullableString) messageId: string | null;
  hasMedia: boolean;
  @ApiProperty(nullableString) mediaUrl: string | null;
  @ApiProperty(nullableString) caption: string | null;
  @ApiProperty(nullableString) mimeType: string | null;
  @ApiProperty(nullableString) fileName: string | null;
  /** `{timestamp: unix seconds | null}` */
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata: { timestamp: number | null };
}

/** `GET /api/instances/:id/chats/:chatId/messages`: newest first. */
export class MessageHistoryDto {
  @ApiProperty({ type: [MessageViewDto] }) messages: MessageViewDto[];
  @ApiProperty({ type: PaginationDto }) pagination: PaginationDto;
}
