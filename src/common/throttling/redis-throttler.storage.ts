import type { ThrottlerStorage } from '@nestjs/throttler';
import { RedisService } from '../redis/redis.service';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Counts a batch of hits atomically, in one call: per hit two keys (the window counter, the block
 * key) and three arguments (ttl ms, limit, block duration ms). Each hit is counted in a fixed
 * window (PX ttl on its first hit), and once its count passes `limit` its block key is set for the
 * block duration. Returns one {hits, windowTtlMs, blocked 0|1, blockTtlMs} per hit, in order.
 */
const INCREMENT = `
local out = {}
for h = 0, #KEYS / 2 - 1 do
  local counter, block = KEYS[2 * h + 1], KEYS[2 * h + 2]
  local ttlArg, limit, blockFor = ARGV[3 * h + 1], tonumber(ARGV[3 * h + 2]), ARGV[3 * h + 3]
  local hits = redis.call('INCR', counter)
  if hits == 1 then redis.call('PEXPIRE', counter, ttlArg) end
  local ttl = redis.call('PTTL', counter)
  if ttl < 0 then redis.call('PEXPIRE', counter, ttlArg) ttl = tonumber(ttlArg) end
  local blockTtl = redis.call('PTTL', block)
  if blockTtl > 0 then
    out[h + 1] = {hits, ttl, 1, blockTtl}
  elseif hits > limit then
    redis.call('SET', block, '1', 'PX', blockFor)
    out[h + 1] = {hits, ttl, 1, tonumber(blockFor)}
  else
    out[h + 1] = {hits, ttl, 0, 0}
  end
end
return out`;

/** How long a request waits for Redis before it is let through unthrottled (ms). */
const REDIS_TIMEOUT_MS = 1000;

/** The script as an ioredis custom command: EVALSHA (the script's bytes are sent once, not per batch). */
const COMMAND = 'switchboardThrottleBatch';

type Counted = [number, number, number, number];
type Hit = { keys: [string, string]; args: [string, string, string]; resolve: (r: Counted | null) => void };

/**
 * `@nestjs/throttler` storage on the shared Redis (keys `<prefix>:throttle:<key>`), so every API
 * process shares one budget per tracker. `ttl` and `blockDuration` arrive in ms; the record's
 * `timeToExpire`/`timeToBlockExpire` are seconds (what the guard writes into Retry-After).
 * Hits are batched: every hit of one event-loop turn (all concurrent requests, and all budgets of
 * each) goes to Redis in ONE call of the script, so the throttler costs one round trip and one
 * command per turn, not one per request and budget (issue 11). Each hit is counted atomically.
 * Fails open: when Redis does not answer within 1 s the request is not throttled (ioredis would
 * otherwise hold it until Redis is back).
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private batch: Hit[] = [];

  constructor(private readonly redis: RedisService) {
    // no numberOfKeys: each call passes its own (two per hit)
    redis.client.defineCommand(COMMAND, { lua: INCREMENT });
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
    return new Promise((resolve) => {
      const hit: Hit = {
        keys: [base, `${base}:blocked`],
        args: [
          String(Math.max(1, Math.round(ttl))),
          String(limit),
          String(Math.max(1, Math.round(blockDuration))),
        ],
        resolve,
      };
      if (this.batch.push(hit) === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const hits = this.batch;
    this.batch = [];
    const run = this.redis.client as unknown as Record<
      string,
      (...args: (string | number)[]) => Promise<unknown>
    >;
    const call = run[COMMAND](
      hits.length * 2,
      ...hits.flatMap((h) => h.keys),
      ...hits.flatMap((h) => h.args),
    ) as Promise<Counted[]>;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), REDIS_TIMEOUT_MS);
    });
    try {
      const results = await Promise.race([call.catch(() => null), timeout]);
      hits.forEach((hit, i) => hit.resolve(results?.[i] ?? null));
    } finally {
      clearTimeout(timer);
    }
  }
}
