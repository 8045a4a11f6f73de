import Redis from 'ioredis';
import { Client } from 'pg';

/** Drops this run's database and Redis keys. */
export default async function globalTeardown(): Promise<void> {
  const dbName = process.env.TEST_DB_NAME;
  if (dbName && !process.env.TEST_KEEP_DB) {
    const client = new Client({
      connectionString: process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await client.end();
  }
  const prefix = process.env.REDIS_PREFIX;
  if (prefix?.startsWith('sbtest-')) {
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await redis.quit();
  }
}
