import { Global, Module } from '@nestjs/common';
import { SecretBox } from './crypto/secret-box';
import { RedisService } from './redis/redis.service';

/** Cross-cutting singletons: the secret box and the shared Redis client. */
@Global()
@Module({ providers: [SecretBox, RedisService], exports: [SecretBox, RedisService] })
export class CommonModule {}
