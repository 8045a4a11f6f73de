import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Public } from '../../common/auth/decorators';
import { NotFoundError, UnauthorizedError, ValidationError } from '../../common/errors/app-error';
import { InstanceEntity } from '../instances/instance.entity';
import { ConversationsService } from '../messages/conversations.service';
import { TelegramAdapter } from '../providers/telegram/telegram.adapter';
import { TELEGRAM } from '../providers/telegram/telegram.client';
import { normalizeTelegramUpdate } from '../providers/telegram/telegram.normalizer';
import type { TgUpdate } from '../providers/telegram/telegram.normalizer';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Telegram's webhook (PROVIDERS.md §1.3): `X-Telegram-Bot-Api-Secret-Token` must equal the
 * secret we gave setWebhook (constant-time) or the update is refused with 401 and nothing is
 * stored. Telegram gets its 200 only after the update is durable in PostgreSQL; a redelivered
 * update_id is acknowledged and ignored.
 */
@ApiExcludeController()
@Public()
@Controller('webhooks/telegram')
export class TelegramWebhookController {
  constructor(
    @InjectRepository(InstanceEntity) private readonly instances: Repository<InstanceEntity>,
    private readonly telegram: TelegramAdapter,
    private readonly conversations: ConversationsService,
  ) {}

  @Post(':instanceId')
  @HttpCode(200)
  async receive(
    @Param('instanceId') instanceId: string,
    @Headers('x-telegram-bot-api-secret-token') secretToken: string | undefined,
    @Body() update: TgUpdate,
  ) {
    const instance = UUID.test(instanceId)
      ? await this.instances.findOne({ where: { id: instanceId, provider: TELEGRAM } })
      : null;
    if (!instance) throw new NotFoundError('Telegram instance', instanceId);
    if (!(await this.telegram.verifyWebhookSecret(instance.id, secretToken))) {
      throw new UnauthorizedError('X-Telegram-Bot-Api-Secret-Token is missing or wrong');
    }
    if (!update || typeof update !== 'object' || !Number.isSafeInteger(update.update_id)) {
      throw new ValidationError('Not a Telegram Update: update_id (integer) is required', [
        { field: 'update_id', message: 'required integer' },
      ]);
    }
    const outcome = await this.conversations.ingest(
      instance,
      String(update.update_id),
      update,
      normalizeTelegramUpdate(update),
    );
    return { ok: true, ...outcome };
  }
}
