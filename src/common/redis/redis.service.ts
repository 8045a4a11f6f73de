import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AppConfig } from '../../config/app-config';
import { bounded } from './bounded';
import { RedisErrorLog } from './redis-error-log';
import { redisOptionsFromUrl } from './redis-options';

/**
 * A lease this process holds on `<prefix>:lease:<name>`. `token` is the key's value,
 * `<owner>#<fence>`: renewals and the release compare it, so a process never renews or
 * releases a lease someone else took after it. `fence` increases with every acquisition
 * (one counter, `<prefix>:lease-fence`), so a later holder always has a larger one.
 */
export interface Lease {
  name: string;
  token: string;
  fence: number;
}

/** Outcome of {@link RedisService.acquireLease}. holder: the owner that holds it; expiresInMs: its TTL left, ms. */
export type LeaseAttempt =
  { acquired: true; lease: Lease } | { acquired: false; holder: string; expiresInMs: number };

/**
 * Bound on a lease command and on QUIT, ms: with Redis unreachable ioredis would hold them until
 * it is back, and a shutdown or a renewal deadline cannot wait that long.
 */
const COMMAND_BOUND_MS = 2000;

const ACQUIRE = `
local held = redis.call('GET', KEYS[1])
if held then return {0, held, redis.call('PTTL', KEYS[1])} end
local fence = redis.call('INCR', KEYS[2])
local token = ARGV[1] .. '#' .. fence
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
return {1, token, fence}`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * One shared ioredis client for leases and small counters (BullMQ keeps its own connections).
 * It closes last, in onApplicationShutdown, after the pollers released their leases
 * (onModuleDestroy); QUIT waits at most 2 s, then the socket is dropped.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  readonly client: Redis;
  readonly prefix: string;
  /** This process in lease values and logs: `<hostname>/<pid>/<random>`. */
  readonly owner = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;

  constructor(config: AppConfig) {
    this.client = new Redis(redisOptionsFromUrl(config.redis.url));
    new RedisErrorLog(new Logger('Redis'), 'shared client').watch(this.client);
    this.prefix = config.redis.prefix;
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /**
   * Takes the lease `name` for ttlMs (ms) when nobody holds it; otherwise says who does and for
   * how long. Lease commands reject after 2 s without an answer (Redis unreachable).
   */
  async acquireLease(name: string, owner: string, ttlMs: number): Promise<LeaseAttempt> {
    const [ok, value, n] = (await bounded(
      this.client.eval(ACQUIRE, 2, this.key('lease', name), this.key('lease-fence'), owner, String(ttlMs)),
      COMMAND_BOUND_MS,
      'lease acquisition',
    )) as [number, string, number];
    if (ok === 1) return { acquired: true, lease: { name, token: value, fence: n } };
    const hash = value.lastIndexOf('#');
    return { acquired: false, holder: hash > 0 ? value.slice(0, hash) : value, expiresInMs: n };
  }

  /** Extends a held lease to ttlMs (ms) from now; false when it expired or someone else holds it. */
  async renewLease(lease: Lease, ttlMs: number): Promise<boolean> {
    const res = await bounded(
      this.client.eval(RENEW, 1, this.key('lease', lease.name), lease.token, String(ttlMs)),
      COMMAND_BOUND_MS,
      'lease renewal',
    );
    return res === 1;
  }

  /** Deletes the lease if this token still holds it; false when it had expired or changed hands. */
  async releaseLease(lease: Lease): Promise<boolean> {
    const res = await bounded(
      this.client.eval(RELEASE, 1, this.key('lease', lease.name), lease.token),
      COMMAND_BOUND_MS,
      'lease release',
    );
    return res === 1;
  }

  /**
   * For periodic single-runner jobs (sweeper, retention): renews `held` when it is still ours,
   * else tries to acquire. @returns the lease to keep, or null when another process holds it.
   */
  async holdLease(name: string, owner: string, ttlMs: number, held: Lease | null): Promise<Lease | null> {
    if (held && (await this.renewLease(held, ttlMs))) return held;
    const attempt = await this.acquireLease(name, owner, ttlMs);
    return attempt.acquired ? attempt.lease : null;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return;
    }
    await bounded(this.client.quit(), COMMAND_BOUND_MS, 'Redis QUIT').catch(() => this.client.disconnect());
  }
}
