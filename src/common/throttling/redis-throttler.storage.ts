import type { ThrottlerStorage } from '@nestjs/throttler';
import { RedisService } from '../redis/redis.service';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * One atomic round trip per throttled request: count the hit in a fixed window (PX ttl on the
 * first hit), and once the count passes `limit` set a block key for `blockDuration`.
 * Returns {hits, windowTtlMs, blocked 0|1, blockTtlMs}.
 */
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
local blockTtl = redis.call('PTTL', KEYS[2])
if blockTtl > 0 then return {hits, ttl, 1, blockTtl} end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {hits, ttl, 1, tonumber(ARGV[3])}
end
return {hits, ttl, 0, 0}`;

/** How long a request waits for Redis before it is let through unthrottled (ms). */
const REDIS_TIMEOUT_MS = 1000;

/**
 * `@nestjs/throttler` storage on the shared Redis (keys `<prefix>:throttle:<key>`), so every API
 * process shares one budget per tracker. `ttl` and `blockDuration` arrive in ms; the record's
 * `timeToExpire`/`timeToBlockExpire` are seconds (what the guard writes into Retry-After).
 * Fails open: when Redis does not answer within 1 s the request is not throttled (ioredis would
 * otherwise hold it until Redis is back).
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly redis: RedisService) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const base = this.redis.key('throttle', throttlerName, key);
    const result = await this.count(base, ttl, limit, blockDuration);
    if (!result)
      return { totalHits: 0, timeToExpire: Math.ceil(ttl / 1000), isBlocked: false, timeToBlockExpire: 0 };
    const [hits, windowMs, blocked, blockMs] = result;
    return {
      totalHits: hits,
      timeToExpire: Math.ceil(windowMs / 1000),
      isBlocked: blocked === 1,
      timeToBlockExpire: Math.ceil(blockMs / 1000),
    };
  }

  /** The script's result, or null when Redis fails or is slower than REDIS_TIMEOUT_MS. */
  private async count(
    base: string,
    ttl: number,
    limit: number,
    blockDuration: number,
  ): Promise<[number, number, number, number] | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), REDIS_TIMEOUT_MS);
    });
    const call = this.redis.client.eval(
      INCREMENT,
      2,
      base,
      `${base}:blocked`,
      String(Math.max(1, Math.round(ttl))),
      String(limit),
      String(Math.max(1, Math.round(blockDuration))),
    ) as Promise<[number, number, number, number]>;
    try {
      return await Promise.race([call.catch(() => null), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
