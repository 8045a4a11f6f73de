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

/** The script as an ioredis custom command: EVALSHA (the script's bytes are sent once, not per hit). */
const COMMAND = 'switchboardThrottle';

type Counted = [number, number, number, number];
type Hit = { args: string[]; resolve: (r: Counted | null) => void };

/**
 * `@nestjs/throttler` storage on the shared Redis (keys `<prefix>:throttle:<key>`), so every API
 * process shares one budget per tracker. `ttl` and `blockDuration` arrive in ms; the record's
 * `timeToExpire`/`timeToBlockExpire` are seconds (what the guard writes into Retry-After).
 * Hits are batched: every hit of one event-loop turn (all concurrent requests) goes to Redis in ONE
 * pipeline of EVALSHA calls, so the throttler costs one round trip per turn, not one per request
 * (issue 11). Each hit is still counted atomically by the script.
 * Fails open: when Redis does not answer within 1 s the request is not throttled (ioredis would
 * otherwise hold it until Redis is back).
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private batch: Hit[] = [];

  constructor(private readonly redis: RedisService) {
    redis.client.defineCommand(COMMAND, { numberOfKeys: 2, lua: INCREMENT });
  }

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

  /** The script's result (joined to this turn's batch), or null when Redis fails or is slower than REDIS_TIMEOUT_MS. */
  private count(base: string, ttl: number, limit: number, blockDuration: number): Promise<Counted | null> {
    const args = [
      base,
      `${base}:blocked`,
      String(Math.max(1, Math.round(ttl))),
      String(limit),
      String(Math.max(1, Math.round(blockDuration))),
    ];
    return new Promise((resolve) => {
      if (this.batch.push({ args, resolve }) === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const hits = this.batch;
    this.batch = [];
    const pipeline = this.redis.client.pipeline();
    const run = pipeline as unknown as Record<string, (...args: string[]) => unknown>;
    for (const hit of hits) run[COMMAND](...hit.args);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), REDIS_TIMEOUT_MS);
    });
    try {
      const results = await Promise.race([pipeline.exec().catch(() => null), timeout]);
      hits.forEach((hit, i) => {
        const [err, value] = results?.[i] ?? [new Error('no answer'), null];
        hit.resolve(err ? null : (value as Counted));
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
