import {
  applyDecorators,
  Controller,
  Get,
  Header,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Type,
} from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import {
  ApiBody,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../../common/auth/decorators';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { MetaWebhookOutcomeDto } from './inbound-webhook.dto';

/** What a Meta platform's webhook service offers its endpoints. */
export interface MetaWebhookHandler {
  /** @throws ForbiddenError (403) unless hub.mode is subscribe and hub.verify_token is an instance's. */
  handshake(mode?: string, token?: string, challenge?: string, instanceId?: string): Promise<string>;
  /** @param raw the body exactly as received, for `X-Hub-Signature-256`. */
  receive(raw: Buffer | undefined, signature: string | undefined, instanceId?: string): Promise<unknown>;
}

/**
 * The four endpoints every Meta platform's webhook has (WhatsApp Cloud, Messenger, Instagram):
 * the `hub.challenge` handshake and the signed POST, each on the shared URL `/<path>` (routed by
 * the payload) and per instance `/<path>/<instanceId>`. Meta gets its 200 only after every item
 * is durable; a wrong or missing signature is a 401 and stores nothing. One subclass per provider.
 */
export function MetaWebhookController(path: string, service: Type<MetaWebhookHandler>) {
  const platform = path.split('/')[1];
  const INSTANCE = ApiParam({
    name: 'instanceId',
    description: 'Per-instance callback URL: only this instance is addressed',
    schema: { type: 'string', format: 'uuid' },
  });
  const HANDSHAKE = [
    ApiQuery({ name: 'hub.mode', required: true, schema: { type: 'string', enum: ['subscribe'] } }),
    ApiQuery({ name: 'hub.verify_token', required: true, description: "An instance's `webhookVerifyToken`" }),
    ApiQuery({ name: 'hub.challenge', required: true, description: 'Echoed back' }),
    ApiOkResponse({
      description: '`hub.challenge`, echoed as text',
      content: { 'text/plain': { schema: { type: 'string' } } },
    }),
    ApiProblemResponses(
      [403, 'hub.mode is not subscribe, or hub.verify_token is no instance’s (`forbidden`)'],
      [429, 'The global ceiling on provider webhooks (`rate_limited`)'],
    ),
  ];
  const DELIVERY = [
    ApiHeader({
      name: 'X-Hub-Signature-256',
      required: true,
      description: '`sha256=<hex HMAC-SHA256 of the raw body with the app secret>`',
    }),
    ApiBody({
      description: `The ${platform} webhook payload as Meta sends it: \`{object, entry: [...]}\``,
      schema: {
        type: 'object',
        required: ['entry'],
        properties: { object: { type: 'string' }, entry: { type: 'array', items: { type: 'object' } } },
        additionalProperties: true,
      },
    }),
    ApiOkResponse({
      type: MetaWebhookOutcomeDto,
      description: 'Every item is durable (or a known duplicate)',
    }),
    ApiProblemResponses(
      [400, 'Per-instance URL: the body is not JSON or has no `entry[]` (`validation_failed`)'],
      [401, 'X-Hub-Signature-256 is missing or made with no addressed instance’s app secret; nothing stored'],
      [429, 'The global ceiling on provider webhooks (`rate_limited`)'],
    ),
  ];

  @ApiTags('provider webhooks')
  @Public()
  @Controller(path)
  class MetaWebhookEndpoints {
    constructor(@Inject(service) readonly webhooks: MetaWebhookHandler) {}

    @Get()
    @Header('content-type', 'text/plain; charset=utf-8')
    @ApiOperation({
      summary: `${platform}: the webhook verification handshake (shared callback URL)`,
      description: `Meta calls this when the callback URL \`<PUBLIC_BASE_URL>/${path}\` is saved in the app dashboard.`,
    })
    @applyAll(HANDSHAKE)
    verify(
      @Query('hub.mode') mode?: string,
      @Query('hub.verify_token') token?: string,
      @Query('hub.challenge') challenge?: string,
    ) {
      return this.webhooks.handshake(mode, token, challenge);
    }

    @Get(':instanceId')
    @Header('content-type', 'text/plain; charset=utf-8')
    @ApiOperation({ summary: `${platform}: the webhook verification handshake (per-instance callback URL)` })
    @applyAll([INSTANCE, ...HANDSHAKE])
    verifyInstance(
      @Param('instanceId') instanceId: string,
      @Query('hub.mode') mode?: string,
      @Query('hub.verify_token') token?: string,
      @Query('hub.challenge') challenge?: string,
    ) {
      return this.webhooks.handshake(mode, token, challenge, instanceId);
    }

    @Post()
    @HttpCode(200)
    @ApiOperation({
      summary: `${platform}: signed events from Meta (shared callback URL, routed by the payload's account ids)`,
      description:
        'Answered 200 only once every item is durable; a wrong or missing signature stores nothing.',
    })
    @applyAll(DELIVERY)
    receive(@Req() req: RawBodyRequest<Request>, @Headers('x-hub-signature-256') signature?: string) {
      return this.webhooks.receive(req.rawBody, signature);
    }

    @Post(':instanceId')
    @HttpCode(200)
    @ApiOperation({ summary: `${platform}: signed events from Meta (per-instance callback URL)` })
    @applyAll([INSTANCE, ...DELIVERY])
    receiveInstance(
      @Param('instanceId') instanceId: string,
      @Req() req: RawBodyRequest<Request>,
      @Headers('x-hub-signature-256') signature?: string,
    ) {
      return this.webhooks.receive(req.rawBody, signature, instanceId);
    }
  }
  return MetaWebhookEndpoints;
}

/** One method decorator of several (shared between the endpoints of every Meta platform). */
function applyAll(decorators: (MethodDecorator & ClassDecorator)[] | MethodDecorator[]): MethodDecorator {
  return applyDecorators(...(decorators as MethodDecorator[]));
}
