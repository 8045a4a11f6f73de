import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import type { Principal } from './principal';

/** Most credentials remembered per process; the least recently used go first. */
const MAX_CREDENTIALS = 10_000;

/**
 * The caller each credential resolved to, kept per process for AUTH_CACHE_TTL_MS (issue 11:
 * reading the user or the API key from PostgreSQL, and passport's JWT verification, were most of
 * an authenticated request's cost). Keyed by a SHA-256 of the request's `Authorization` and
 * `x-api-key` headers together (what passport reads), so no credential is kept in memory and the
 * same headers always map to what passport answered for them.
 * An entry lives until the TTL, the credential's own expiry (JWT `exp`, API key `expires_at`),
 * or a forget: {@link forgetUser} when a user is changed, deactivated or deleted, {@link forgetApiKey}
 * when a key is revoked — on this process at once; other API processes keep theirs until the TTL.
 */
@Injectable()
export class PrincipalCache {
  private readonly cache: LRUCache<string, Principal> | null;
  private readonly ttlMs: number;
  /** Bumped by every forget: a lookup that began before one is not remembered (it may be stale). */
  private generation = 0;

  constructor(config: AppConfig) {
    this.ttlMs = config.authCacheTtlMs;
    this.cache = this.ttlMs > 0 ? new LRUCache({ max: MAX_CREDENTIALS, ttl: this.ttlMs }) : null;
  }

  /** The cache key of the request's credential headers; null without any (or with the cache off). */
  keyOf(req: Request): string | null {
    if (!this.cache) return null;
    const { authorization } = req.headers;
    const apiKey = req.headers['x-api-key'];
    if (!authorization && !apiKey) return null;
    return createHash('sha256')
      .update(`${authorization ?? ''}\n${String(apiKey ?? '')}`)
      .digest('base64');
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

  /** Drops every credential of this user (changed, deactivated or deleted). */
  forgetUser(userId: string): void {
    this.forget((p) => p.userId === userId);
  }

  /** Drops an API key (revoked). */
  forgetApiKey(apiKeyId: string): void {
    this.forget((p) => p.apiKeyId === apiKeyId);
  }

  private forget(match: (p: Principal) => boolean): void {
    this.generation++;
    if (!this.cache) return;
    const gone: string[] = [];
    for (const [key, principal] of this.cache.entries()) if (match(principal)) gone.push(key);
    for (const key of gone) this.cache.delete(key);
  }
}
