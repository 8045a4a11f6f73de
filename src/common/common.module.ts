import { Global, Module } from '@nestjs/common';
import { SecretBox } from './crypto/secret-box';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { RedisPolicyCheck } from './redis/redis-policy.check';
import { RedisService } from './redis/redis.service';

/** Cross-cutting singletons: the secret box, the shared Redis client and the Prometheus series. */
@Global()
@Module({
  providers: [SecretBox, RedisService, RedisPolicyCheck, GatewayMetrics],
  exports: [SecretBox, RedisService, GatewayMetrics],
})
export class CommonModule {}
