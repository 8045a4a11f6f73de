import {
  Body,
  Controller,
  createParamDecorator,
  ExecutionContext,
  Get,
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
  ApiAcceptedResponse,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { ValidationError } from '../../common/errors/app-error';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { SuccessOnlyDto } from '../../common/openapi/success-response.dto';
import { SendRoute } from '../../common/throttling/rate-limit-routes';
import { PageQuery } from '../../common/pagination/pagination';
import {
  BatchSendDto,
  HistoryQuery,
  RawProviderRequestDto,
  SendMessageDto,
  TypingDto,
  UploadMessageDto,
} from './messages.dto';
import { MessagesService } from './messages.service';
import {
  BatchSendResultDto,
  ChatListDto,
  MarkReadResultDto,
  MessageDto,
  MessageListDto,
} from './message-view.dto';

/** The fields of multer's in-memory file we use. */
interface MulterFile {
  buffer: Buffer;
  mimetype: string;
  originalname: string;
}

/**
 * The optional `Idempotency-Key` header. Read with its own decorator rather than `@Headers()`,
 * which Swagger would document a second time, as a required lower-case header.
 */
const IdempotencyKey = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string | undefined =>
    ctx.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers[
      'idempotency-key'
    ],
);

/**
 * Whether the request has `Prefer: respond-async` (RFC 7240 §4.1; other preferences in the same
 * or another Prefer header are ignored).
 */
const PrefersAsync = createParamDecorator((_: unknown, ctx: ExecutionContext): boolean => {
  const prefer = ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>()
    .headers.prefer;
  const values = Array.isArray(prefer) ? prefer : prefer ? [prefer] : [];
  return values.some((v) =>
    v.split(',').some((p) => p.split(';')[0].trim().toLowerCase() === 'respond-async'),
  );
});

const PREFER_HEADER = {
  name: 'Prefer',
  required: false,
  description:
    '`respond-async` (RFC 7240): store the message as `queued` and answer 202 at once; the send queue sends it ' +
    "paced by the provider's limits, in order within the chat, retrying provider 429s; the outcome arrives as " +
    '`message_sent` / `message_failed`',
  schema: { type: 'string', example: 'respond-async' },
} as const;

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'Same key + same body → the first result, never a second provider call (1–200 characters)',
  schema: { type: 'string', minLength: 1, maxLength: 200 },
} as const;

const NOT_FOUND: [number, string] = [404, 'No such instance of the caller'];

/** What a provider call can answer besides success. */
const PROVIDER_FAILURES: [number, string][] = [
  [
    429,
    'Provider rate limit (`provider_rate_limited`), our rate limit (`rate_limited`) or a daily instance limit (`limit_exceeded`); `Retry-After` in seconds',
  ],
  [
    502,
    'The provider failed or no longer accepts the credentials (`provider_unavailable`, `provider_unauthorized`)',
  ],
];

/** Largest multipart upload, bytes (WhatsApp: audio/video 16 MB). */
const UPLOAD_MAX_BYTES = 16 * 1024 * 1024;

@ApiTags('messages')
@ApiAuth()
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
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiHeader(PREFER_HEADER)
  @ApiCreatedResponse({ type: MessageDto, description: 'The stored message with status `sent`' })
  @ApiAcceptedResponse({
    type: MessageDto,
    description:
      'With `Prefer: respond-async`: the stored message with status `queued` (header `Preference-Applied: respond-async`)',
  })
  @ApiProblemResponses(
    [
      400,
      'Validation failed, or the provider rejected the request (`provider_bad_request`, e.g. chat not found)',
    ],
    NOT_FOUND,
    [409, 'A request with this Idempotency-Key is still in progress (`idempotency_in_progress`)'],
    [
      422,
      'The provider does not support this type or size (names the provider), the recipient blocked the bot, ' +
        'a media URL the gateway refuses or cannot fetch (WhatsApp Web: `media_url_refused`, `media_fetch_failed`, ' +
        '`media_too_large`, naming `media.url`), or the Idempotency-Key was used with another body (`idempotency_key_reused`)',
    ],
    ...PROVIDER_FAILURES,
  )
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
  send(
    @CurrentUser() principal: Principal,
    @Param('id') id: string,
    @Body() dto: SendMessageDto,
    @Res({ passthrough: true }) res: Response,
    @PrefersAsync() preferAsync: boolean,
    @IdempotencyKey() idempotencyKey?: string,
  ) {
    if (idempotencyKey !== undefined && (idempotencyKey.length < 1 || idempotencyKey.length > 200)) {
      throw new ValidationError('Idempotency-Key must be 1–200 characters', [
        { field: 'Idempotency-Key', message: 'length 1–200' },
      ]);
    }
    if (!preferAsync) return this.messages.send(principal, id, dto, idempotencyKey);
    res.status(202).setHeader('Preference-Applied', 'respond-async');
    return this.messages.sendAsync(principal, id, dto, idempotencyKey);
  }

  @Post('messages/batch')
  @SendRoute()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Queue up to 100 messages for sending (async)',
    description:
      'Each message is checked on its own: an invalid one is rejected with its index, code and fields, the others are ' +
      "stored as `queued` and sent by the send queue — paced by the provider's limits, in the given order within each " +
      'chat, provider 429s retried at their Retry-After — ending as `message_sent` or `message_failed`. ' +
      'Each item may carry its own `idempotencyKey`. Daily limits (`maxMessagesSent`) apply as messages are queued.',
  })
  @ApiAcceptedResponse({
    type: BatchSendResultDto,
    description: 'The queued messages’ ids and the rejected items',
  })
  @ApiProblemResponses([400, 'The body is not `{messages: [1–100 objects]}`'], NOT_FOUND, [
    429,
    'Our rate limit (`rate_limited`); `Retry-After` in seconds',
  ])
  sendBatch(@CurrentUser() principal: Principal, @Param('id') id: string, @Body() dto: BatchSendDto) {
    return this.messages.sendBatch(principal, id, dto.messages);
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
    description:
      'WhatsApp Cloud: `POST /<phone>/media` then a message with `{id}`; Slack: its external upload. Discord and ' +
      'WhatsApp Web take files only inside the message: the gateway sends the bytes, type and file name with it. ' +
      'Files up to 16 MB. Always synchronous (`Prefer: respond-async` is not applied): the file is uploaded ' +
      'before the answer, and files Discord and WhatsApp Web take inside the message are held by this process only.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: MessageDto, description: 'The stored message with status `sent`' })
  @ApiProblemResponses(
    [400, 'Validation failed (the `file` part is required), or the provider rejected the file'],
    NOT_FOUND,
    [409, 'A request with this Idempotency-Key is still in progress (`idempotency_in_progress`)'],
    [413, 'The file is larger than 16 MB (`payload_too_large`)'],
    [422, 'The provider cannot upload media (`media_upload_unsupported`, names the provider)'],
    ...PROVIDER_FAILURES,
  )
  sendUpload(
    @CurrentUser() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UploadMessageDto,
    @UploadedFile() file: MulterFile | undefined,
    @IdempotencyKey() idempotencyKey?: string,
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
  @ApiOkResponse({ type: MarkReadResultDto })
  @ApiProblemResponses(
    [404, 'No such instance or message of the caller'],
    [422, 'The provider has no read receipts (names the provider), or the message is not a received one'],
    ...PROVIDER_FAILURES,
  )
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
  @ApiOkResponse({
    description: 'The provider’s JSON answer, as is',
    schema: { type: 'object', additionalProperties: true },
  })
  @ApiProblemResponses(
    [400, 'Validation failed, or the provider rejected the request (`provider_bad_request`)'],
    NOT_FOUND,
    [422, 'The provider has no raw API (`raw_requests_unsupported`), or the path is not allowed'],
    ...PROVIDER_FAILURES,
  )
  raw(@CurrentUser() principal: Principal, @Param('id') id: string, @Body() dto: RawProviderRequestDto) {
    return this.messages.raw(principal, id, dto);
  }

  @Get('chats')
  @ApiOperation({ summary: 'Chats, most recent first (paginated)' })
  @ApiOkResponse({ type: ChatListDto })
  @ApiProblemResponses(400, NOT_FOUND)
  chats(@CurrentUser() principal: Principal, @Param('id') id: string, @Query() q: PageQuery) {
    return this.messages.listChats(principal, id, q);
  }

  @Post('chats/:chatId/typing')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Show (or stop) a typing indicator in a chat; chatId is our chat id or the provider’s',
    description: 'Messenger: `typing_on` / `typing_off` sender actions. Providers without one answer 422.',
  })
  @ApiOkResponse({ type: SuccessOnlyDto })
  @ApiProblemResponses(
    400,
    NOT_FOUND,
    [422, 'The provider has no typing indicator (`typing_unsupported`, names the provider)'],
    ...PROVIDER_FAILURES,
  )
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
  @ApiOkResponse({ type: MessageListDto })
  @ApiProblemResponses(400, [404, 'No such instance or chat of the caller'])
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
  @ApiOkResponse({ type: MessageDto })
  @ApiProblemResponses([404, 'No such instance or message of the caller'])
  get(@CurrentUser() principal: Principal, @Param('id') id: string, @Param('messageId') messageId: string) {
    return this.messages.get(principal, id, messageId);
  }

  @Get('messages/:messageId/media')
  @ApiOperation({ summary: 'Download an inbound message’s media, streamed from the provider' })
  @ApiOkResponse({
    description: 'The file, with the Content-Type the provider gave it (e.g. image/jpeg)',
    content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiProblemResponses(
    [404, 'No such instance or message of the caller, or the message has no media'],
    ...PROVIDER_FAILURES,
  )
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
