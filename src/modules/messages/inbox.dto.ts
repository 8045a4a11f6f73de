import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { PageQuery } from '../../common/pagination/pagination';
import { PaginationDto } from '../../common/pagination/pagination.dto';

/** `GET /api/chats`: the caller's chats across instances, most recent first. */
export class InboxQuery extends PageQuery {
  /** Only this instance's chats. */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  instanceId?: string;
}

/** The newest message of a chat, for the chat list. */
export class InboxLastMessageDto {
  id: string;
  @ApiProperty({ enum: ['in', 'out'] }) direction: 'in' | 'out';
  /** Message type (`text`, `image`, …). */
  type: string;
  @ApiProperty({ type: String, nullable: true }) text: string | null;
  /** `received` (in); `queued`, `sent`, `delivered`, `read`, `played`, `failed` (out). */
  status: string;
  createdAt: Date;
}

/** One chat of the inbox, with its instance, newest message and unread count. */
export class InboxChatDto {
  id: string;
  instanceId: string;
  /** The instance's name (the bot/account the chat is with). */
  instanceName: string;
  /** @example telegram */
  provider: string;
  /** The provider's chat id (the `to` of a send). */
  providerChatId: string;
  @ApiProperty({ enum: ['private', 'group', 'channel'] }) type: string;
  @ApiProperty({ type: String, nullable: true }) title: string | null;
  @ApiProperty({ type: String, nullable: true }) contactId: string | null;
  /** The contact's name (or push name, or username) when known. */
  @ApiProperty({ type: String, nullable: true }) contactName: string | null;
  @ApiProperty({ type: Date, nullable: true }) lastMessageAt: Date | null;
  /** When an operator last marked the chat seen (`POST …/chats/:chatId/seen`). */
  @ApiProperty({ type: Date, nullable: true }) lastReadAt: Date | null;
  /** Inbound messages stored after `lastReadAt` (all of them when never seen). */
  unreadCount: number;
  @ApiProperty({ type: InboxLastMessageDto, nullable: true }) lastMessage: InboxLastMessageDto | null;
}

export class InboxListDto {
  @ApiProperty({ type: [InboxChatDto] }) chats: InboxChatDto[];
  @ApiProperty({ type: PaginationDto }) pagination: PaginationDto;
}

/** `POST /api/instances/:id/chats/:chatId/seen`. */
export class ChatSeenDto {
  chatId: string;
  lastReadAt: Date;
  /** Always 0 right after marking. */
  unreadCount: number;
}
