import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../../config/app-config';
import { RedisService } from '../redis/redis.service';
import { ApiThrottlerGuard } from './api-throttler.guard';
import { isOpsRoute, isProviderWebhook, isSendRoute, rateLimitTracker } from './rate-limit-routes';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/**
 * API rate limits on Redis (shared by all API processes), one fixed window of RATE_LIMIT_TTL_MS:
 * - `default`: every API request, RATE_LIMIT_LIMIT per user / API key;
 * - `send`: message sends additionally, RATE_LIMIT_SEND_LIMIT per user / API key;
 * - `webhooks`: provider inbound webhooks, RATE_LIMIT_WEBHOOK_LIMIT for all callers together.
 * /health* and /metrics are never throttled; a budget of 0 turns its throttler off. Each
 * `skipIf` decides by route only (path and handler): ApiThrottlerGuard asks once per route.
 * A request's budgets are counted together, in one Redis round trip.
 * Registered after the auth guard (AppModule order), so the tracker sees the principal.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, RedisService],
      useFactory: (config: AppConfig, redis: RedisService) => {
        const { ttlMs, limit, sendLimit, webhookLimit } = config.rateLimit;
        return {
          storage: new RedisThrottlerStorage(redis),
          generateKey: (_ctx, tracker, name) => `${name}:${tracker}`,
          getTracker: rateLimitTracker,
          throttlers: [
            {
              name: 'default',
              ttl: ttlMs,
              limit,
              skipIf: (ctx) => limit === 0 || isOpsRoute(ctx) || isProviderWebhook(ctx),
            },
            {
              name: 'send',
              ttl: ttlMs,
              limit: sendLimit,
              skipIf: (ctx) => sendLimit === 0 || !isSendRoute(ctx),
            },
            {
              name: 'webhooks',
              ttl: ttlMs,
              limit: webhookLimit,
              getTracker: () => 'all',
              skipIf: (ctx) => webhookLimit === 0 || !isProviderWebhook(ctx),
            },
          ],
        };
      },
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: ApiThrottlerGuard }],
})
export class ThrottlingModule {}
