import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import { NotFoundError, UnauthorizedError } from '../../../common/errors/app-error';
import { ApiProblemResponses } from '../../../common/openapi/problem-responses';
import { malformedItem } from '../payload-shape';
import type { InboundHttpRequest, InboundWebhookResult, WebhookRouteDocs } from '../provider-seams';
import { TELEGRAM } from './telegram.client';
import { normalizeTelegramUpdate, TgUpdate } from './telegram.normalizer';
import { TelegramWebhookOutcomeDto } from './telegram-webhook.dto';

/** `POST /webhooks/telegram/:instanceId`, the URL the gateway gives setWebhook, with its OpenAPI docs. */
export const TELEGRAM_WEBHOOK_ROUTES: WebhookRouteDocs[] = [
  {
    path: 'telegram',
    withInstanceId: true,
    receive: [
      ApiOperation({
        summary: 'telegram: updates from Telegram (the URL the gateway gives setWebhook)',
        description:
          'Set by the gateway itself when PUBLIC_BASE_URL is set: `<PUBLIC_BASE_URL>/webhooks/telegram/<instanceId>`. ' +
          'Answered 200 only once the update is durable; a redelivered update_id is acknowledged and ignored; ' +
          'a body that is not an Update is archived and skipped as `malformed_payload:` (200).',
      }),
      ApiParam({ name: 'instanceId', schema: { type: 'string', format: 'uuid' } }),
      ApiHeader({
        name: 'X-Telegram-Bot-Api-Secret-Token',
        required: true,
        description: 'The secret the gateway gave setWebhook',
      }),
      ApiBody({
        description: 'A Telegram Update',
        schema: {
          type: 'object',
          required: ['update_id'],
          properties: { update_id: { type: 'integer' } },
          additionalProperties: true,
        },
      }),
      ApiOkResponse({ type: TelegramWebhookOutcomeDto }),
      ApiProblemResponses(
        [401, 'X-Telegram-Bot-Api-Secret-Token is missing or wrong; nothing stored'],
        [404, 'The instance was deleted meanwhile'],
        [429, 'The global ceiling on provider webhooks (`rate_limited`)'],
      ),
    ],
  },
];

/**
 * Telegram's webhook (PROVIDERS.md §1.3): `X-Telegram-Bot-Api-Secret-Token` must equal the secret
 * we gave setWebhook (`verifySecret`, constant-time) or the update is refused with 401 and nothing
 * is stored. The update is one item, answered with its outcome (`TelegramWebhookOutcomeDto`): a
 * redelivered update_id is acknowledged as a duplicate; an update that does not fit the Bot API's
 * shapes (no integer update_id, `message: 5`, a body that is not JSON) is archived as received
 * under a content id and skipped as `malformed_payload:`, so Telegram gets its 200 and stops
 * redelivering it. @throws UnauthorizedError (401); NotFoundError (404) when the instance was
 * deleted meanwhile.
 */
export async function receiveTelegramWebhook(
  req: InboundHttpRequest,
  verifySecret: (instanceId: string, header: string | undefined) => Promise<boolean>,
): Promise<InboundWebhookResult> {
  const instanceId = req.instanceId ?? '';
  const header = req.headers['x-telegram-bot-api-secret-token'];
  // the secret token is the proof: an unknown instance (no stored token) gets the same 401
  if (!isUUID(instanceId) || !(await verifySecret(instanceId, Array.isArray(header) ? header[0] : header))) {
    throw new UnauthorizedError('X-Telegram-Bot-Api-Secret-Token is missing or wrong');
  }
  let update: TgUpdate;
  try {
    update = req.rawBody ? JSON.parse(req.rawBody.toString('utf8')) : {};
  } catch {
    const item = malformedItem(req.rawBody?.toString('utf8'), 'malformed_payload:/ is not JSON');
    return single(instanceId, item);
  }
  const result = normalizeTelegramUpdate(update);
  const malformed = result.kind === 'skip' && result.reason.startsWith('malformed_payload');
  return single(
    instanceId,
    malformed
      ? malformedItem(update, result.reason)
      : { providerEventId: String(update.update_id), payload: update, result },
  );
}

/** The one item of an update, answered with its outcome. */
function single(
  instanceId: string,
  item: Omit<InboundWebhookResult['items'][number], 'instance'>,
): InboundWebhookResult {
  return {
    items: [{ instance: { id: instanceId, provider: TELEGRAM }, ...item }],
    response: ([outcome]) => {
      if (outcome.notFound) throw new NotFoundError('Telegram instance', instanceId);
      const { notFound: _, ...rest } = outcome;
      return { body: { ok: true, ...rest } };
    },
  };
}
