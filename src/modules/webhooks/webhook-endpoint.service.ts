import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SecretBox } from '../../common/crypto/secret-box';
import { generateWebhookSecret } from '../../common/crypto/tokens';
import { AppConfig } from '../../config/app-config';
import { ActivityLogEntity } from '../instances/activity-log.entity';
import { InstanceEntity } from '../instances-core/instance.entity';
import { EventsService } from './events.service';

/** Why the gateway turned a webhook off. */
export type WebhookDisabledReason = 'gone_410' | 'endpoint_failing';

/**
 * The state of an instance's webhook endpoint: health (`webhook_failing_since`, one UPDATE only
 * when it changes), automatic disabling (410 Gone, or every attempt failed for
 * WEBHOOK_DISABLE_AFTER_MS) and secret rotation. Each change writes an activity line and a
 * `webhook_updated` event in the same transaction.
 */
@Injectable()
export class WebhookEndpointService {
  private readonly logger = new Logger(WebhookEndpointService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: EventsService,
    private readonly secrets: SecretBox,
    private readonly config: AppConfig,
  ) {}

  /** A delivered attempt ends the failing streak. Call only when `webhook_failing_since` was set. */
  async recordSuccess(instanceId: string): Promise<void> {
    await this.db.query(
      `UPDATE instances SET webhook_failing_since = NULL WHERE id = $1 AND webhook_failing_since IS NOT NULL`,
      [instanceId],
    );
  }

  /**
   * A failed attempt: starts the failing streak, or disables the webhook once the streak has
   * lasted WEBHOOK_DISABLE_AFTER_MS. @returns true when this call disabled the webhook.
   */
  async recordFailure(instanceId: string, failingSince: Date | null): Promise<boolean> {
    if (!failingSince) {
      await this.db.query(
        `UPDATE instances SET webhook_failing_since = now() WHERE id = $1 AND webhook_failing_since IS NULL`,
        [instanceId],
      );
      return false;
    }
    const failingForMs = Date.now() - new Date(failingSince).getTime();
    if (failingForMs < this.config.webhooks.disableAfterMs) return false;
    return this.disable(instanceId, 'endpoint_failing', {
      failingSince: new Date(failingSince).toISOString(),
    });
  }

  /**
   * Turns the webhook off (`webhook_enabled = false`, reason and time recorded), logs
   * `webhook_disabled` and records a `webhook_updated` event `{instanceId, timestamp,
   * webhookEnabled: false, disabled: true, reason, ...details}` — which, the webhook being off, is
   * not delivered but shows in the events feed. @returns false when it was already off.
   */
  async disable(
    instanceId: string,
    reason: WebhookDisabledReason,
    details: Record<string, unknown> = {},
  ): Promise<boolean> {
    const done = await this.db.transaction(async (tx) => {
      const rows: unknown[] = await tx.query(
        `WITH u AS (
           UPDATE instances SET webhook_enabled = false, webhook_disabled_reason = $2,
                  webhook_disabled_at = now(), updated_at = now()
            WHERE id = $1 AND webhook_enabled RETURNING id
         ) SELECT id FROM u`,
        [instanceId, reason],
      );
      if (rows.length === 0) return false;
      const instance = await tx.findOneByOrFail(InstanceEntity, { id: instanceId });
      await tx.insert(ActivityLogEntity, {
        instanceId,
        action: 'webhook_disabled',
        details: { reason, webhookUrl: instance.webhookUrl, ...details } as never,
      });
      await this.events.record(tx, instance, 'webhook_updated', {
        instanceId,
        timestamp: new Date().toISOString(),
        webhookEnabled: false,
        disabled: true,
        reason,
        ...details,
      });
      return true;
    });
    if (done) this.logger.warn({ instanceId, reason }, 'webhook disabled');
    return done;
  }

  /**
   * Replaces the signing secret with a new `whsec_…` one. The old secret keeps signing (a second
   * `v1,` signature) until now + graceMs; 0 drops it at once. Logs `webhook_secret_rotated` and
   * emits `webhook_updated`. @returns the new secret (shown only here) and when the old one stops.
   */
  async rotateSecret(
    instance: InstanceEntity,
    graceMs = this.config.webhooks.secretGraceMs,
  ): Promise<{ webhookSecret: string; previousSecretExpiresAt: string | null }> {
    const secret = generateWebhookSecret();
    const expiresAt = instance.webhookSecretEnc && graceMs > 0 ? new Date(Date.now() + graceMs) : null;
    instance.webhookPreviousSecretEnc = expiresAt ? instance.webhookSecretEnc : null;
    instance.webhookPreviousSecretExpiresAt = expiresAt;
    instance.webhookSecretEnc = this.secrets.encrypt(secret);
    const previousSecretExpiresAt = expiresAt?.toISOString() ?? null;
    const recorded = await this.db.transaction(async (tx) => {
      await tx.update(
        InstanceEntity,
        { id: instance.id },
        {
          webhookSecretEnc: instance.webhookSecretEnc,
          webhookPreviousSecretEnc: instance.webhookPreviousSecretEnc,
          webhookPreviousSecretExpiresAt: expiresAt,
        },
      );
      await tx.insert(ActivityLogEntity, {
        instanceId: instance.id,
        action: 'webhook_secret_rotated',
        details: { previousSecretExpiresAt } as never,
      });
      return this.events.record(tx, instance, 'webhook_updated', {
        instanceId: instance.id,
        timestamp: new Date().toISOString(),
        secretRotated: true,
        previousSecretExpiresAt,
      });
    });
    await this.events.enqueue([recorded.delivery]);
    return { webhookSecret: secret, previousSecretExpiresAt };
  }
}
