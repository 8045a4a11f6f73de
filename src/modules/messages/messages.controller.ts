import { Body, Controller, Get, Headers, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { ValidationError } from '../../common/errors/app-error';
import { SendRoute } from '../../common/throttling/rate-limit-routes';
import { PageQuery } from '../../common/pagination/pagination';
import { HistoryQuery, SendMessageDto } from './messages.dto';
import { MessagesService } from './messages.service';

@ApiTags('messages')
@ApiAuth()
@ApiNotFoundResponse({ description: 'No such instance, chat or message of the caller (problem+json)' })
@Controller('api/instances/:id')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post('messages')
  @SendRoute()
  @ApiOperation({
    summary: 'Send a message (text, media, location, contacts, reaction, ...)',
    description:
      'Returns our message id and the provider’s. A provider failure is stored as a `failed` message and answered with the ' +
      'provider’s code: rate limit → 429 + Retry-After, blocked/unknown recipient → 4xx, provider down → 502.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Same key + same body → the first result, never a second provider call',
  })
  @ApiCreatedResponse({ description: 'The stored message with status `sent`' })
  @ApiBadRequestResponse({
    description: 'Validation failed, or the provider rejected the request (e.g. chat not found)',
  })
  @ApiUnprocessableEntityResponse({
    description: 'The provider does not support this type / limit exceeded / recipient blocked the bot',
  })
  @ApiTooManyRequestsResponse({
    description:
      'Provider rate limit (`provider_rate_limited`), our rate limit (`rate_limited`) or a daily instance limit (`limit_exceeded`); `Retry-After` in seconds',
  })
  send(
    @CurrentUser() principal: Principal,
    @Param('id') id: string,
    @Body() dto: SendMessageDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    if (idempotencyKey !== undefined && (idempotencyKey.length < 1 || idempotencyKey.length > 200)) {
      throw new ValidationError('Idempotency-Key must be 1–200 characters', [
        { field: 'Idempotency-Key', message: 'length 1–200' },
      ]);
    }
    return this.messages.send(principal, id, dto, idempotencyKey);
  }

  @Get('chats')
  @ApiOperation({ summary: 'Chats, most recent first (paginated)' })
  chats(@CurrentUser() principal: Principal, @Param('id') id: string, @Query() q: PageQuery) {
    return this.messages.listChats(principal, id, q);
  }

  @Get('chats/:chatId/messages')
  @ApiOperation({
    summary: 'Message history of a chat, newest first; chatId is our chat id or the provider’s',
  })
  history(
    @CurrentUser() principal: Principal,
    @Param('id') id: string,
    @Param('chatId') chatId: string,
    @Query() q: HistoryQuery,
  ) {
    return this.messages.history(principal, id, chatId, q);
  }

  @Get('messages/:messageId')
  @ApiOperation({ summary: 'One message (our id or the provider’s)' })
  get(@CurrentUser() principal: Principal, @Param('id') id: string, @Param('messageId') messageId: string) {
    return this.messages.get(principal, id, messageId);
  }

  @Get('messages/:messageId/media')
  @ApiOperation({ summary: 'Download an inbound message’s media, streamed from the provider' })
  @ApiProduces('application/octet-stream')
  async media(
    @CurrentUser() principal: Principal,
    @Param('id') id: string,
    @Param('messageId') messageId: string,
    @Res() res: Response,
  ) {
    const media = await this.messages.media(principal, id, messageId);
    res.status(200).setHeader('content-type', media.contentType ?? 'application/octet-stream');
    if (media.size !== undefined) res.setHeader('content-length', String(media.size));
    if (media.fileName)
      res.setHeader(
        'content-disposition',
        `attachment; filename="${media.fileName.replace(/["\\\r\n]/g, '_')}"`,
      );
    media.stream.on('error', () => res.destroy());
    media.stream.pipe(res);
  }
}
