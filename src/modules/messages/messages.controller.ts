import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
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
import {
  HistoryQuery,
  RawProviderRequestDto,
  SendMessageDto,
  TypingDto,
  UploadMessageDto,
} from './messages.dto';
import { MessageHistoryDto, MessageViewDto } from './message-view.dto';
import { MessagesService } from './messages.service';

/** The fields of multer's in-memory file we use. */
interface MulterFile {
  buffer: Buffer;
  mimetype: string;
  originalname: string;
}

/** Largest multipart upload, bytes (WhatsApp: audio/video 16 MB). */
const UPLOAD_MAX_BYTES = 16 * 1024 * 1024;

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
  @ApiCreatedResponse({ type: MessageViewDto, description: 'The stored message with status `sent`' })
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
  @ApiBody({
    type: SendMessageDto,
    examples: {
      'telegram text': { value: { to: '424242', type: 'text', text: 'Hello from Switchboard' } },
      'whatsapp document': {
        value: {
          to: '16505551234',
          type: 'document',
          media: { url: 'https://example.com/invoice.pdf' },
          filename: 'invoice.pdf',
          caption: 'Your invoice',
        },
      },
      'whatsapp template': {
        value: {
          to: '16505551234',
          type: 'template',
          template: {
            name: 'order_update',
            language: 'en_US',
            components: [{ type: 'body', parameters: [{ type: 'text', text: 'Pablo' }] }],
          },
        },
      },
      'whatsapp reaction removal': {
        value: { to: '16505551234', type: 'reaction', messageId: 'wamid.HBgL…', emoji: '' },
      },
      'messenger text with tag': {
        value: { to: '2000000000001', type: 'text', text: 'An agent here', tag: 'HUMAN_AGENT' },
      },
      'instagram like_heart': {
        value: { to: '5614879045272581', type: 'sticker', media: { providerMediaId: 'like_heart' } },
      },
    },
  })
  @ApiTooManyRequestsResponse({ description: 'Provider rate limit; `Retry-After` in seconds' })
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

  @Post('messages/upload')
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: UPLOAD_MAX_BYTES, files: 1 } }))
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['to', 'type', 'file'],
      properties: {
        to: { type: 'string', example: '16505551234' },
        type: { type: 'string', enum: ['image', 'video', 'audio', 'voice', 'document', 'sticker'] },
        caption: { type: 'string' },
        filename: { type: 'string', example: 'invoice.pdf' },
        replyTo: { type: 'string' },
        file: { type: 'string', format: 'binary' },
      },
    },
  })
  @ApiOperation({
    summary: 'Send a file (multipart): uploaded to the provider, then sent by its media id',
    description: 'WhatsApp Cloud: `POST /<phone>/media` then a message with `{id}`. Files up to 16 MB.',
  })
  @ApiCreatedResponse({ type: MessageViewDto, description: 'The stored message with status `sent`' })
  @ApiUnprocessableEntityResponse({ description: 'The provider cannot upload media (names the provider)' })
  sendUpload(
    @CurrentUser() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UploadMessageDto,
    @UploadedFile() file: MulterFile | undefined,
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    const upload = file && { buffer: file.buffer, mimeType: file.mimetype, fileName: file.originalname };
    return this.messages.sendUpload(principal, id, dto, upload, idempotencyKey);
  }

  @Post('messages/:messageId/read')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Mark a received message as read at the provider (WhatsApp blue ticks)',
    description:
      'WhatsApp Cloud: `{"status":"read","message_id":…}`. Providers without read receipts answer 422.',
  })
  @ApiOkResponse({ description: '`{success: true, messageId, providerMessageId}`' })
  @ApiUnprocessableEntityResponse({ description: 'The provider has no read receipts (names the provider)' })
  markRead(
    @CurrentUser() principal: Principal,
    @Param('id') id: string,
    @Param('messageId') messageId: string,
  ) {
    return this.messages.markRead(principal, id, messageId);
  }

  @Post('provider/raw')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Raw provider API call with the instance’s credentials (the connector’s out.raw)',
    description:
      'WhatsApp Cloud: `path` after the Graph version (default `/<phoneNumberId>/messages`), `body` sent as JSON; ' +
      'the Graph answer is returned as is, Graph errors are mapped like sends.',
  })
  @ApiOkResponse({ description: 'The provider’s JSON answer' })
  raw(@CurrentUser() principal: Principal, @Param('id') id: string, @Body() dto: RawProviderRequestDto) {
    return this.messages.raw(principal, id, dto);
  }

  @Get('chats')
  @ApiOperation({ summary: 'Chats, most recent first (paginated)' })
  chats(@CurrentUser() principal: Principal, @Param('id') id: string, @Query() q: PageQuery) {
    return this.messages.listChats(principal, id, q);
  }

  @Post('chats/:chatId/typing')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Show (or stop) a typing indicator in a chat; chatId is our chat id or the provider’s',
    description: 'Messenger: `typing_on` / `typing_off` sender actions. Providers without one answer 422.',
  })
  @ApiOkResponse({ description: '`{success: true}`' })
  @ApiUnprocessableEntityResponse({
    description: 'The provider has no typing indicator (names the provider)',
  })
  typing(
    @CurrentUser() principal: Principal,
    @Param('id') id: string,
    @Param('chatId') chatId: string,
    @Body() dto: TypingDto,
  ) {
    return this.messages.typing(principal, id, chatId, dto);
  }

  @Get('chats/:chatId/messages')
  @ApiOperation({
    summary: 'Message history of a chat, newest first; chatId is our chat id or the provider’s',
  })
  @ApiOkResponse({ type: MessageHistoryDto })
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
