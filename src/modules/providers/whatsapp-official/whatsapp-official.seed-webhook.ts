import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { ApiProblemResponses } from '../../../common/openapi/problem-responses';
import { MetaWebhookOutcomeDto } from '../graph/meta-webhook.dto';
import type { WebhookRouteDocs } from '../provider-seams';

/**
 * The WhatsApp Cloud ↔ NATS connector seed's webhook path `/webhook` (seeds/whatsapp-cloud-connector.md:
 * "URL: https://your-server.com/webhook"), an alias of the shared WhatsApp Cloud webhook
 * `/webhooks/whatsapp`: the same `hub.challenge` handshake and the same signed POST, routed by
 * `metadata.phone_number_id`, answered only once every item is durable (README § NATS).
 */
export const WHATSAPP_SEED_WEBHOOK: WebhookRouteDocs = {
  path: 'whatsapp',
  withInstanceId: false,
  absolutePath: '/webhook',
  handshake: [
    ApiOperation({
      summary: 'whatsapp: the webhook verification handshake on the connector seed’s path /webhook',
      description: 'Alias of `GET /webhooks/whatsapp` for users of the WhatsApp Cloud ↔ NATS connector.',
    }),
    ApiQuery({ name: 'hub.mode', required: true, schema: { type: 'string', enum: ['subscribe'] } }),
    ApiQuery({
      name: 'hub.verify_token',
      required: true,
      description: "An instance's `webhookVerifyToken` (WEBHOOK_VERIFY_TOKEN)",
    }),
    ApiQuery({ name: 'hub.challenge', required: true, description: 'Echoed back' }),
    ApiOkResponse({
      description: '`hub.challenge`, echoed as text',
      content: { 'text/plain': { schema: { type: 'string' } } },
    }),
    ApiProblemResponses(
      [403, 'hub.mode is not subscribe, or hub.verify_token is no instance’s (`forbidden`)'],
      [429, 'The global ceiling on provider webhooks (`rate_limited`)'],
    ),
  ],
  receive: [
    ApiOperation({
      summary: 'whatsapp: signed events from Meta on the connector seed’s path /webhook',
      description:
        'Alias of `POST /webhooks/whatsapp`: routed by `metadata.phone_number_id`; a wrong or missing signature stores nothing.',
    }),
    ApiHeader({
      name: 'X-Hub-Signature-256',
      required: true,
      description: '`sha256=<hex HMAC-SHA256 of the raw body with the app secret>`',
    }),
    ApiBody({
      description: 'The WhatsApp webhook payload as Meta sends it: `{object, entry: [...]}`',
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
      [401, 'X-Hub-Signature-256 is missing or made with no addressed instance’s app secret; nothing stored'],
      [429, 'The global ceiling on provider webhooks (`rate_limited`)'],
    ),
  ] as MethodDecorator[],
};
