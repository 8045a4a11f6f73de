import { Logger } from '@nestjs/common';
import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../../config/app-config';
import { RedisService } from '../redis/redis.service';
import type { Principal } from './principal';
import { PrincipalCache } from './principal-cache';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const req = (headers: Record<string, string>) => ({ headers }) as unknown as Request;
const alice: Principal = {
  userId: 'u-alice',
  email: 'alice@example.com',
  role: 'user',
  via: 'api-key',
  apiKeyId: 'k-1',
};

describe('PrincipalCache (real Redis)', () => {
  const prefix = `sbunit-auth-${randomUUID().slice(0, 8)}`;
  const open: { cache: PrincipalCache; redis: RedisService }[] = [];

  /** An API process's cache with its own Redis client, listening for the others' forgets. */
  async function processCache(ttlMs: number): Promise<PrincipalCache> {
    const config = { authCacheTtlMs: ttlMs, role: 'api', redis: { url: REDIS_URL, prefix } } as AppConfig;
    const redis = new RedisService(config);
    const cache = new PrincipalCache(config, redis);
    (cache as unknown as { logger: Logger }).logger = new Logger('test');
    cache.onApplicationBootstrap();
    open.push({ cache, redis });
    await sleep(100); // subscribed
    return cache;
  }

  afterAll(async () => {
    for (const { cache, redis } of open) {
      await cache.onModuleDestroy();
      await redis.onApplicationShutdown();
    }
  });

  it('keys the credential headers by hash, never by the credential', async () => {
    const cache = await processCache(5000);
    const key = cache.keyOf(req({ 'x-api-key': 'sb_secret_key' }))!;
    expect(key).not.toContain('sb_secret_key');
    expect(cache.keyOf(req({ authorization: 'Bearer a' }))).not.toBe(
      cache.keyOf(req({ authorization: 'Bearer b' })),
    );
    expect(cache.keyOf(req({}))).toBeNull();
  });

  it('answers a remembered caller until the TTL, then no more', async () => {
    const cache = await processCache(150);
    const key = cache.keyOf(req({ 'x-api-key': 'k' }))!;
    cache.remember(key, alice, cache.mark);
    expect(cache.get(key)).toEqual(alice);
    expect(Object.isFrozen(cache.get(key))).toBe(true);
    await sleep(250);
    expect(cache.get(key)).toBeUndefined();
  });

  it("never outlives the credential's own expiry", async () => {
    const cache = await processCache(60_000);
    const key = cache.keyOf(req({ authorization: 'Bearer short' }))!;
    cache.remember(key, { ...alice, via: 'jwt', credentialExpiresAt: Date.now() + 150 }, cache.mark);
    expect(cache.get(key)).toBeDefined();
    await sleep(250);
    expect(cache.get(key)).toBeUndefined();
    const expired = cache.keyOf(req({ authorization: 'Bearer gone' }))!;
    cache.remember(expired, { ...alice, credentialExpiresAt: Date.now() - 1 }, cache.mark);
    expect(cache.get(expired)).toBeUndefined();
  });

  it('does not remember a lookup that began before a forget', async () => {
    const cache = await processCache(60_000);
    const key = cache.keyOf(req({ 'x-api-key': 'racing' }))!;
    const mark = cache.mark;
    cache.forgetApiKey('k-other');
    cache.remember(key, alice, mark);
    expect(cache.get(key)).toBeUndefined();
  });

  it('forgets a revoked key or a changed user here at once and on the other processes through Redis', async () => {
    const [a, b] = [await processCache(60_000), await processCache(60_000)];
    const keyOf = (c: PrincipalCache, h: Record<string, string>) => c.keyOf(req(h))!;
    for (const c of [a, b]) {
      c.remember(keyOf(c, { 'x-api-key': 'k1' }), alice, c.mark);
      c.remember(
        keyOf(c, { authorization: 'Bearer jwt' }),
        { ...alice, via: 'jwt', apiKeyId: undefined },
        c.mark,
      );
      c.remember(keyOf(c, { 'x-api-key': 'bob' }), { ...alice, userId: 'u-bob', apiKeyId: 'k-bob' }, c.mark);
    }
    a.forgetApiKey('k-1');
    expect(a.get(keyOf(a, { 'x-api-key': 'k1' }))).toBeUndefined();
    expect(a.get(keyOf(a, { authorization: 'Bearer jwt' }))).toBeDefined();
    await sleep(200);
    expect(b.get(keyOf(b, { 'x-api-key': 'k1' }))).toBeUndefined();
    expect(b.get(keyOf(b, { authorization: 'Bearer jwt' }))).toBeDefined();

    b.forgetUser('u-alice');
    await sleep(200);
    for (const c of [a, b]) {
      expect(c.get(keyOf(c, { authorization: 'Bearer jwt' }))).toBeUndefined();
      expect(c.get(keyOf(c, { 'x-api-key': 'bob' }))).toBeDefined();
    }
  });
});
