import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiQuery } from '@nestjs/swagger';
import { ApiProblemResponses } from '../../../common/openapi/problem-responses';
import type { WebhookRouteDocs } from '../provider-seams';
import { MetaWebhookOutcomeDto } from './meta-webhook.dto';

/**
 * The routes every Meta platform's webhook has (WhatsApp Cloud, Messenger, Instagram), with their
 * OpenAPI docs: the `hub.challenge` handshake (GET) and the signed POST, each on the shared URL
 * `/webhooks/<path>` (routed by the payload) and per instance `/webhooks/<path>/<instanceId>`.
 * Meta gets its 200 only after every item is durable; a wrong or missing signature is a 401 and
 * stores nothing.
 */
export function metaWebhookRoutes(path: string): WebhookRouteDocs[] {
  const INSTANCE = ApiParam({
    name: 'instanceId',
    description: 'Per-instance callback URL: only this instance is addressed',
    schema: { type: 'string', format: 'uuid' },
  });
  const HANDSHAKE = [
    ApiQuery({ name: 'hub.mode', required: true, schema: { type: 'string', enum: ['subscribe'] } }),
    ApiQuery({
      name: 'hub.verify_token',
      required: true,
      description: "An instance's `webhookVerifyToken`",
      schema: { type: 'string' },
    }),
    ApiQuery({
      name: 'hub.challenge',
      required: true,
      description: 'Echoed back',
      schema: { type: 'string' },
    }),
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
      description: `The ${path} webhook payload as Meta sends it: \`{object, entry: [...]}\``,
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
  ] as MethodDecorator[];
  return [
    {
      path,
      withInstanceId: false,
      handshake: [
        ApiOperation({
          summary: `${path}: the webhook verification handshake (shared callback URL)`,
          description: `Meta calls this when the callback URL \`<PUBLIC_BASE_URL>/webhooks/${path}\` is saved in the app dashboard.`,
        }),
        ...HANDSHAKE,
      ],
      receive: [
        ApiOperation({
          summary: `${path}: signed events from Meta (shared callback URL, routed by the payload's account ids)`,
          description:
            'Answered 200 only once every item is durable; a wrong or missing signature stores nothing.',
        }),
        ...DELIVERY,
      ],
    },
    {
      path,
      withInstanceId: true,
      handshake: [
        ApiOperation({ summary: `${path}: the webhook verification handshake (per-instance callback URL)` }),
        INSTANCE,
        ...HANDSHAKE,
      ],
      receive: [
        ApiOperation({ summary: `${path}: signed events from Meta (per-instance callback URL)` }),
        INSTANCE,
        ...DELIVERY,
      ],
    },
  ];
}
