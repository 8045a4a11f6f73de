import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ApiProblemResponses } from '../../../common/openapi/problem-responses';
import type { WebhookRouteDocs } from '../provider-seams';

/** `POST /webhooks/discord/:instanceId`: the application's Interactions Endpoint URL, with its OpenAPI docs. */
export const DISCORD_WEBHOOK_ROUTES: WebhookRouteDocs[] = [
  {
    path: 'discord',
    withInstanceId: true,
    receive: [
      ApiOperation({
        summary: 'discord: interactions from Discord (the Interactions Endpoint URL)',
        description:
          'Paste `<PUBLIC_BASE_URL>/webhooks/discord/<instanceId>` into the Developer Portal (General Information → ' +
          'Interactions Endpoint URL); the instance needs `config.publicKey`. `X-Signature-Ed25519` is checked over ' +
          '`X-Signature-Timestamp` + the raw body before anything is stored. PING → `{"type":1}`; application ' +
          'commands and modals are stored as `interactive` messages and answered `{"type":5}` (deferred), ' +
          'components `{"type":6}`; autocomplete gets no choices (`{"type":8}`).',
      }),
      ApiParam({ name: 'instanceId', schema: { type: 'string', format: 'uuid' } }),
      ApiHeader({ name: 'X-Signature-Ed25519', required: true, description: 'Hex Ed25519 signature' }),
      ApiHeader({ name: 'X-Signature-Timestamp', required: true, description: 'Signed with the body' }),
      ApiBody({
        description: 'A Discord Interaction',
        schema: {
          type: 'object',
          required: ['id', 'type'],
          properties: { id: { type: 'string' }, type: { type: 'integer' }, token: { type: 'string' } },
          additionalProperties: true,
        },
      }),
      ApiOkResponse({
        description: 'The interaction response',
        schema: {
          type: 'object',
          required: ['type'],
          properties: {
            type: {
              type: 'integer',
              enum: [1, 5, 6, 8],
              description: 'PONG, deferred message, deferred update, choices',
            },
            data: { type: 'object', additionalProperties: true },
          },
        },
      }),
      ApiProblemResponses(
        [400, 'A verified body that is not an interaction'],
        [401, 'The signature does not verify (or the instance has no publicKey); nothing stored'],
        [404, 'The instance was deleted meanwhile'],
        [429, 'The global ceiling on provider webhooks (`rate_limited`)'],
      ),
    ],
  },
];
