import { Global, Module } from '@nestjs/common';
import { SecretBox } from './crypto/secret-box';
import { RedisPolicyCheck } from './redis/redis-policy.check';
import { RedisService } from './redis/redis.service';

/** Cross-cutting singletons: the secret box and the shared Redis client. */
@Global()
@Module({ providers: [SecretBox, RedisService, RedisPolicyCheck], exports: [SecretBox, RedisService] })
export class CommonModule {}
