import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Request } from 'express';
import type Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import { hash } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import { bounded } from '../redis/bounded';
import { RedisService } from '../redis/redis.service';
import type { Principal } from './principal';

/** Most credentials remembered per process; the least recently used go first. */
const MAX_CREDENTIALS = 10_000;

/** How long a forget's PUBLISH, or the subscriber's QUIT at shutdown, may wait for Redis, ms. */
const REDIS_BOUND_MS = 2000;

/** A forget as published to the other API processes. */
interface Forget {
  userId?: string;
  apiKeyId?: string;
  /** The publishing process (RedisService.owner): it has applied it already. */
  from: string;
}

/**
 * The caller each credential resolved to, kept per API process for AUTH_CACHE_TTL_MS (issue 11:
 * reading the user or the API key from PostgreSQL, and passport's JWT verification, were most of
 * an authenticated request's cost). Keyed by a SHA-256 of the request's `Authorization` and
 * `x-api-key` headers together (what passport reads), so no credential is kept in memory and the
 * same headers always map to what passport answered for them.
 * An entry lives until the TTL, the credential's own expiry (JWT `exp`, API key `expires_at`), or a
 * forget: {@link forgetUser} when a user is changed, deactivated or deleted, {@link forgetApiKey}
 * when a key is revoked — at once on this process, and on the other API processes as soon as they
 * hear of it on Redis (`<prefix>:auth:forget`, pub/sub); should that message be lost (Redis
 * unreachable), their entries still end with the TTL.
 */
@Injectable()
export class PrincipalCache implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PrincipalCache.name);
  private readonly cache: LRUCache<string, Principal> | null;
  private readonly ttlMs: number;
  private readonly channel: string;
  private sub?: Redis;
  /** Bumped by every forget: a lookup that began before one is not remembered (it may be stale). */
  private generation = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {
    this.ttlMs = config.authCacheTtlMs;
    this.cache = this.ttlMs > 0 ? new LRUCache({ max: MAX_CREDENTIALS, ttl: this.ttlMs }) : null;
    this.channel = redis.key('auth', 'forget');
  }

  /** API processes listen for the forgets of the others (not awaited: boot never waits for Redis). */
  onApplicationBootstrap(): void {
    if (!this.cache || this.config.role === 'worker') return;
    const sub = this.redis.client.duplicate();
    sub.on('error', (err: Error) =>
      this.logger.warn({ err: err.message }, 'auth cache subscriber: Redis error'),
    );
    sub.on('message', (_channel: string, message: string) => this.heard(message));
    this.sub = sub;
    sub.subscribe(this.channel).catch((err: Error) => {
      this.logger.warn(
        { err: err.message },
        'auth cache: not subscribed; other processes’ changes apply within the TTL',
      );
    });
  }

  async onModuleDestroy(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    if (!sub) return;
    if (sub.status !== 'ready') return sub.disconnect();
    await bounded(sub.quit(), REDIS_BOUND_MS, 'auth cache subscriber QUIT').catch(() => sub.disconnect());
  }

  /** The cache key of the request's credential headers; null without any (or with the cache off). */
  keyOf(req: Request): string | null {
    if (!this.cache) return null;
    const { authorization } = req.headers;
    const apiKey = req.headers['x-api-key'];
    if (!authorization && !apiKey) return null;
    // one-shot hash (Node ≥ 20.12): no Hash object per request, about half createHash's cost
    return hash('sha256', `${authorization ?? ''}\n${String(apiKey ?? '')}`, 'base64');
  }

  get(key: string): Principal | undefined {
    return this.cache?.get(key);
  }

  /** A token for {@link remember}: taken before the credential is checked against the database. */
  get mark(): number {
    return this.generation;
  }

  /**
   * Remembers what the headers behind `key` resolved to, until the TTL or the credential's expiry,
   * unless a forget happened since `mark` (then the lookup may predate a revocation). The principal
   * is frozen: it is shared by every request that presents these headers.
   */
  remember(key: string, principal: Principal, mark: number): void {
    if (!this.cache || mark !== this.generation) return;
    const left = principal.credentialExpiresAt ? principal.credentialExpiresAt - Date.now() : this.ttlMs;
    if (left <= 0) return;
    this.cache.set(key, Object.freeze({ ...principal }), { ttl: Math.min(this.ttlMs, left) });
  }

  /** Drops every credential of this user (changed, deactivated or deleted), here and on the other API processes. */
  forgetUser(userId: string): void {
    this.forget({ userId });
    this.tell({ userId });
  }

  /** Drops an API key (revoked), here and on the other API processes. */
  forgetApiKey(apiKeyId: string): void {
    this.forget({ apiKeyId });
    this.tell({ apiKeyId });
  }

  private forget({ userId, apiKeyId }: { userId?: string; apiKeyId?: string }): void {
    this.generation++;
    if (!this.cache) return;
    const gone: string[] = [];
    for (const [key, p] of this.cache.entries()) {
      if ((userId && p.userId === userId) || (apiKeyId && p.apiKeyId === apiKeyId)) gone.push(key);
    }
    for (const key of gone) this.cache.delete(key);
  }

  /** Publishes a forget; a failure is logged, the TTL still bounds the others' entries. */
  private tell(what: { userId?: string; apiKeyId?: string }): void {
    if (!this.cache) return;
    const message = JSON.stringify({ ...what, from: this.redis.owner } satisfies Forget);
    bounded(this.redis.client.publish(this.channel, message), REDIS_BOUND_MS, 'auth cache PUBLISH').catch(
      (err: Error) =>
        this.logger.warn(
          { err: err.message },
          'auth cache: other processes not told; they forget within the TTL',
        ),
    );
  }

  private heard(message: string): void {
    try {
      const forget = JSON.parse(message) as Forget;
      if (forget.from === this.redis.owner) return;
      this.forget({
        userId: typeof forget.userId === 'string' ? forget.userId : undefined,
        apiKeyId: typeof forget.apiKeyId === 'string' ? forget.apiKeyId : undefined,
      });
    } catch {
      // not ours
    }
  }
}
