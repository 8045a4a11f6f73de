import type { RedisOptions } from 'ioredis';

/**
 * ioredis options from a `redis://[user:pass@]host:port[/db]` URL (rediss:// turns TLS on), for
 * the shared client and BullMQ's connections alike. RESP2 (`protocol: 2`), the wire protocol of
 * ioredis 5, which every Redis >= 2 speaks; `maxRetriesPerRequest: null` because BullMQ needs it.
 */
export function redisOptionsFromUrl(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    protocol: 2,
    maxRetriesPerRequest: null,
  } satisfies RedisOptions;
}
