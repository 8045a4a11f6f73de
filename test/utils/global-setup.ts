import { Client } from 'pg';

/**
 * Creates a fresh PostgreSQL database and a Redis key prefix for this run (DESIGN.md §8) and
 * exports the environment the e2e specs boot the real AppModule with. Requires a local
 * PostgreSQL (TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres) and Redis.
 */
export default async function globalSetup(): Promise<void> {
  const admin = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const dbName = `switchboard_test_${run}`;
  const client = new Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${dbName}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${dbName}`;
  Object.assign(process.env, {
    NODE_ENV: 'test',
    TEST_DB_NAME: dbName,
    DATABASE_URL: url.toString(),
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `sbtest-${run}`,
    JWT_SECRET: 'test-jwt-secret-0123456789abcdef0123456789',
    ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    ADMIN_EMAIL: 'admin@example.com',
    ADMIN_PASSWORD: 'admin-password-1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8,::1/128',
    WEBHOOK_SWEEP_INTERVAL_MS: '1000',
    TELEGRAM_POLL_TIMEOUT_SECONDS: '1',
    // no test reaches WhatsApp: WhatsApp Web instances run on the scripted fake unless a spec says otherwise
    WHATSAPP_WEB_ENGINE: 'fake',
    SWAGGER_ENABLED: 'true',
  });
}
