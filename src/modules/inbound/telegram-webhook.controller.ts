import { Body, Controller, Headers, HttpCode, Logger, Param, Post } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Public } from '../../common/auth/decorators';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { TelegramWebhookOutcomeDto } from './inbound-webhook.dto';
import { NotFoundError, UnauthorizedError } from '../../common/errors/app-error';
import { ConversationsService } from '../messages/conversations.service';
import { TelegramAdapter } from '../providers/telegram/telegram.adapter';
import { malformedItem } from '../providers/payload-shape';
import { TELEGRAM } from '../providers/telegram/telegram.client';
import { normalizeTelegramUpdate } from '../providers/telegram/telegram.normalizer';
import type { TgUpdate } from '../providers/telegram/telegram.normalizer';
import { isUUID } from 'class-validator';

/**
 * Telegram's webhook (PROVIDERS.md §1.3): `X-Telegram-Bot-Api-Secret-Token` must equal the
 * secret we gave setWebhook (constant-time) or the update is refused with 401 and nothing is
 * stored. Telegram gets its 200 only after the update is durable in PostgreSQL; a redelivered
 * update_id is acknowledged and ignored; an update that does not fit the Bot API's shapes is
 * archived and skipped as `malformed_payload:` (200, logged).
 */
@ApiTags('provider webhooks')
@Public()
@Controller('webhooks/telegram')
export class TelegramWebhookController {
  private readonly logger = new Logger(TelegramWebhookController.name);

  constructor(
    private readonly telegram: TelegramAdapter,
    private readonly conversations: ConversationsService,
  ) {}

  @Post(':instanceId')
  @HttpCode(200)
  @ApiOperation({
    summary: 'telegram: updates from Telegram (the URL the gateway gives setWebhook)',
    description:
      'Set by the gateway itself when PUBLIC_BASE_URL is set: `<PUBLIC_BASE_URL>/webhooks/telegram/<instanceId>`. ' +
      'Answered 200 only once the update is durable; a redelivered update_id is acknowledged and ignored; ' +
      'a body that is not an Update is archived and skipped as `malformed_payload:` (200).',
  })
  @ApiParam({ name: 'instanceId', schema: { type: 'string', format: 'uuid' } })
  @ApiHeader({
    name: 'X-Telegram-Bot-Api-Secret-Token',
    required: true,
    description: 'The secret the gateway gave setWebhook',
  })
  @ApiBody({
    description: 'A Telegram Update',
    schema: {
      type: 'object',
      required: ['update_id'],
      properties: { update_id: { type: 'integer' } },
      additionalProperties: true,
    },
  })
  @ApiOkResponse({ type: TelegramWebhookOutcomeDto })
  @ApiProblemResponses(
    [401, 'X-Telegram-Bot-Api-Secret-Token is missing or wrong; nothing stored'],
    [404, 'The instance was deleted meanwhile'],
    [429, 'The global ceiling on provider webhooks (`rate_limited`)'],
  )
  async receive(
    @Param('instanceId') instanceId: string,
    @Headers('x-telegram-bot-api-secret-token') secretToken: string | undefined,
    @Body() update: TgUpdate,
  ) {
    // the secret token is the proof: an unknown instance (no stored token) gets the same 401
    if (!isUUID(instanceId) || !(await this.telegram.verifyWebhookSecret(instanceId, secretToken))) {
      throw new UnauthorizedError('X-Telegram-Bot-Api-Secret-Token is missing or wrong');
    }
    // an update that is not one (no integer update_id, `message: 5`) is archived as received
    // under a content id and skipped, so Telegram gets its 200 and stops redelivering it
    const result = normalizeTelegramUpdate(update);
    const malformed = result.kind === 'skip' && result.reason.startsWith('malformed_payload');
    const item = malformed
      ? malformedItem(update, result.reason)
      : { providerEventId: String(update.update_id), payload: update, result };
    const outcome = await this.conversations.ingest(
      { id: instanceId, provider: TELEGRAM },
      item.providerEventId,
      item.payload,
      item.result,
    );
    if (outcome.notFound) throw new NotFoundError('Telegram instance', instanceId);
    if (outcome.skipReason) {
      this.logger.log(
        { instanceId, providerEventId: item.providerEventId, reason: outcome.skipReason },
        'webhook item skipped',
      );
    }
    return { ok: true, ...outcome };
  }
}
