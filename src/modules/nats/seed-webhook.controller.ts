import { Controller, Get, Header, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../common/auth/decorators';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { InboundPipelineService } from '../inbound/inbound-pipeline.service';
import { MetaWebhookOutcomeDto } from '../providers/graph/meta-webhook.dto';
import type { WebhookRoute } from '../providers/provider-seams';

/** The route this alias stands for: WhatsApp Cloud's shared callback URL `/webhooks/whatsapp`. */
const WHATSAPP_SHARED: WebhookRoute = { path: 'whatsapp', withInstanceId: false };

/**
 * The connector seed's webhook path `/webhook` (seeds/whatsapp-cloud-connector.md: "URL:
 * https://your-server.com/webhook"), an alias of the shared WhatsApp Cloud webhook
 * `/webhooks/whatsapp`: the same `hub.challenge` handshake and the same signed POST, routed by
 * `metadata.phone_number_id`, answered only once every item is durable: the generic inbound
 * pipeline handles it as the route `/webhooks/whatsapp` (WhatsApp's InboundWebhookSource). A small
 * controller of its own because the pipeline mounts routes under `/webhooks/` only; were
 * WebhookRoute to allow an absolute path, this would be one more entry of WhatsApp's routes.
 */
@ApiTags('provider webhooks')
@Public()
@Controller('webhook')
export class SeedWebhookController {
  constructor(private readonly pipeline: InboundPipelineService) {}

  @Get()
  @Header('content-type', 'text/plain; charset=utf-8')
  @ApiOperation({
    summary: 'whatsapp: the webhook verification handshake on the connector seed’s path /webhook',
    description: 'Alias of `GET /webhooks/whatsapp` for users of the WhatsApp Cloud ↔ NATS connector.',
  })
  @ApiQuery({ name: 'hub.mode', required: true, schema: { type: 'string', enum: ['subscribe'] } })
  @ApiQuery({
    name: 'hub.verify_token',
    required: true,
    description: "An instance's `webhookVerifyToken` (WEBHOOK_VERIFY_TOKEN)",
  })
  @ApiQuery({ name: 'hub.challenge', required: true, description: 'Echoed back' })
  @ApiOkResponse({
    description: '`hub.challenge`, echoed as text',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiProblemResponses(
    [403, 'hub.mode is not subscribe, or hub.verify_token is no instance’s (`forbidden`)'],
    [429, 'The global ceiling on provider webhooks (`rate_limited`)'],
  )
  verify(@Req() req: Request) {
    return this.pipeline.handshake(WHATSAPP_SHARED, req);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'whatsapp: signed events from Meta on the connector seed’s path /webhook',
    description:
      'Alias of `POST /webhooks/whatsapp`: routed by `metadata.phone_number_id`; a wrong or missing signature stores nothing.',
  })
  @ApiHeader({
    name: 'X-Hub-Signature-256',
    required: true,
    description: '`sha256=<hex HMAC-SHA256 of the raw body with the app secret>`',
  })
  @ApiBody({
    description: 'The WhatsApp webhook payload as Meta sends it: `{object, entry: [...]}`',
    schema: {
      type: 'object',
      required: ['entry'],
      properties: { object: { type: 'string' }, entry: { type: 'array', items: { type: 'object' } } },
      additionalProperties: true,
    },
  })
  @ApiOkResponse({ type: MetaWebhookOutcomeDto, description: 'Every item is durable (or a known duplicate)' })
  @ApiProblemResponses(
    [401, 'X-Hub-Signature-256 is missing or made with no addressed instance’s app secret; nothing stored'],
    [429, 'The global ceiling on provider webhooks (`rate_limited`)'],
  )
  receive(@Req() req: RawBodyRequest<Request>, @Res({ passthrough: true }) res: Response) {
    return this.pipeline.receive(WHATSAPP_SHARED, req, res);
  }
}
