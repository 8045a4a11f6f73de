import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { SecretBox } from './crypto/secret-box';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { QueueConnectionLog } from './queues/queue-connection-log';
import { RedisPolicyCheck } from './redis/redis-policy.check';
import { RedisService } from './redis/redis.service';

/**
 * Cross-cutting singletons: the secret box, the shared Redis client, the Prometheus series, and
 * the connection-error logging of every BullMQ queue.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [SecretBox, RedisService, RedisPolicyCheck, GatewayMetrics, QueueConnectionLog],
  exports: [SecretBox, RedisService, GatewayMetrics],
})
export class CommonModule {}
