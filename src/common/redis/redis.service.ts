import { Injectable, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { redisOptionsFromUrl } from './redis-options';

/** One shared ioredis client for leases and small counters (BullMQ keeps its own connections). */
@Injectable()
export class RedisService implements OnModuleDestroy {
  readonly client: Redis;
  readonly prefix: string;

  constructor(config: AppConfig) {
    this.client = new Redis(redisOptionsFromUrl(config.redis.url));
    this.prefix = config.redis.prefix;
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /** Takes (or renews, when `owner` already holds it) a lease; true when `owner` holds it afterwards. ttlMs in ms. */
  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const res = await this.client.eval(
      `local v = redis.call('GET', KEYS[1])
       if v == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
       if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
       return 0`,
      1,
      this.key('lease', name),
      owner,
      String(ttlMs),
    );
    return res === 1;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.client.eval(
      `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
      1,
      this.key('lease', name),
      owner,
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
