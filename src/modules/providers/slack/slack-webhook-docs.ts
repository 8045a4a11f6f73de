import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ApiProblemResponses } from '../../../common/openapi/problem-responses';

/**
 * `POST /webhooks/slack/:instanceId`, the Slack app's Event Subscriptions Request URL, with its
 * OpenAPI docs (mounted by the generic inbound pipeline from `SlackAdapter.webhooks`).
 */
export const SLACK_WEBHOOK_ROUTES = [
  {
    path: 'slack',
    withInstanceId: true,
    receive: [
      ApiOperation({
        summary: 'slack: Events API requests (the Slack app’s Request URL)',
        description:
          'Paste `<PUBLIC_BASE_URL>/webhooks/slack/<instanceId>` into the Slack app’s Event Subscriptions. ' +
          '`X-Slack-Signature` (v0 HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the Signing Secret) and ' +
          '`X-Slack-Request-Timestamp` (within 5 minutes) are checked before anything is stored. ' +
          '`url_verification` is answered with `{challenge}`; an `event_callback` is answered once durable ' +
          '(Slack retries, `X-Slack-Retry-Num`, are recognised by `event_id`); interactivity and slash-command ' +
          'forms are acknowledged and not relayed.',
      }),
      ApiParam({ name: 'instanceId', schema: { type: 'string', format: 'uuid' } }),
      ApiHeader({ name: 'X-Slack-Signature', required: true, description: '`v0=<hex HMAC-SHA256>`' }),
      ApiHeader({ name: 'X-Slack-Request-Timestamp', required: true, description: 'Unix seconds' }),
      ApiHeader({ name: 'X-Slack-Retry-Num', required: false, description: 'Set by Slack on a redelivery' }),
      ApiBody({
        description:
          'An Events API envelope: `url_verification` or `event_callback` (`{event_id, event, …}`)',
        schema: {
          type: 'object',
          required: ['type'],
          properties: {
            type: { type: 'string', enum: ['url_verification', 'event_callback', 'app_rate_limited'] },
            challenge: { type: 'string' },
            event_id: { type: 'string' },
            event: { type: 'object', additionalProperties: true },
          },
          additionalProperties: true,
        },
      }),
      ApiOkResponse({
        description:
          '`{challenge}` for `url_verification`; otherwise every item is durable (or a known duplicate)',
        schema: {
          oneOf: [
            {
              type: 'object',
              required: ['ok', 'stored', 'duplicates', 'skipped'],
              properties: {
                ok: { type: 'boolean' },
                stored: { type: 'integer', description: 'Events stored' },
                duplicates: { type: 'integer', description: 'Slack retries and mentions seen before' },
                skipped: {
                  type: 'integer',
                  description: 'Bot, own and unhandled events (named skip reasons)',
                },
              },
            },
            {
              type: 'object',
              required: ['challenge'],
              properties: { challenge: { type: 'string', description: 'The url_verification challenge' } },
            },
          ],
        },
      }),
      ApiProblemResponses(
        [400, 'A signed body that is not JSON (`validation_failed`)'],
        [
          401,
          'X-Slack-Signature is missing or wrong, or the timestamp is older than 5 minutes; nothing stored',
        ],
        [429, 'The global ceiling on provider webhooks (`rate_limited`)'],
      ),
    ] as MethodDecorator[],
  },
];
