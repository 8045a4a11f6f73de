import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import 'reflect-metadata';
import { AppConfig } from './app-config';
import { validateEnv } from './env.schema';

/** `.env.example` as key/value pairs (comments and blank lines skipped). */
function example(): Record<string, string> {
  const text = readFileSync(join(__dirname, '../../.env.example'), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^[A-Z0-9_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe('env schema: usage, rate limits, metrics', () => {
  it('accepts .env.example as shipped', () => {
    const config = new AppConfig(validateEnv(example()));
    expect(config.usage).toEqual({ enabled: true, flushIntervalMs: 5000 });
    expect(config.rateLimit).toEqual({ ttlMs: 60000, limit: 600, sendLimit: 120, webhookLimit: 60000 });
    expect(config.metricsToken).toBeUndefined();
    expect(config.healthQueueBacklogMax).toBe(10000);
  });

  it('names a bad value', () => {
    expect(() => validateEnv({ ...example(), RATE_LIMIT_LIMIT: '-1', METRICS_TOKEN: 'short' })).toThrow(
      /RATE_LIMIT_LIMIT[\s\S]*METRICS_TOKEN|METRICS_TOKEN[\s\S]*RATE_LIMIT_LIMIT/,
    );
  });
});

describe('env schema: NATS and the connector seed .env', () => {
  it('leaves NATS off by default and reads the seed accounts', () => {
    const off = new AppConfig(validateEnv(example()));
    expect(off.nats).toMatchObject({ url: undefined, stream: 'SWITCHBOARD', duplicateWindowMs: 600000 });
    expect(off.seedWhatsapp).toEqual({
      accounts: [],
      verifyToken: undefined,
      appSecret: undefined,
      apiVersion: 'v21.0',
    });
    const on = new AppConfig(
      validateEnv({
        ...example(),
        NATS_URL: 'nats://127.0.0.1:4222,nats://10.0.0.2:4222',
        WA_MY_ACCOUNT: '123456789:EAABx',
        APP_SECRET: 's',
        WEBHOOK_VERIFY_TOKEN: 'v',
      }),
    );
    expect(on.nats.url).toBe('nats://127.0.0.1:4222,nats://10.0.0.2:4222');
    expect(on.seedWhatsapp.accounts).toEqual([
      { slug: 'my_account', variable: 'WA_MY_ACCOUNT', phoneNumberId: '123456789', accessToken: 'EAABx' },
    ]);
  });

  it('names what cannot work: a bad URL, half a login, two logins, a seed account without APP_SECRET', () => {
    const check = (env: Record<string, string>) => () => validateEnv({ ...example(), ...env });
    expect(check({ NATS_URL: 'localhost:4222' })).toThrow(/NATS_URL must be nats:\/\/host:port/);
    expect(check({ NATS_USER: 'u' })).toThrow(/NATS_USER: set NATS_USER and NATS_PASSWORD together/);
    expect(check({ NATS_USER: 'u', NATS_PASSWORD: 'p', NATS_TOKEN: 't' })).toThrow(
      /choose one NATS authentication/,
    );
    expect(check({ NATS_CREDS_FILE: '/nonexistent.creds' })).toThrow(/NATS_CREDS_FILE: no such file/);
    expect(check({ WA_X: '123456789:tok', WEBHOOK_VERIFY_TOKEN: 'v' })).toThrow(
      /APP_SECRET: required with WA_<NAME>/,
    );
    expect(check({ WA_X: 'secret-token-only' })).toThrow(/WA_X: must be <phone_number_id>:<access_token>/);
    expect(check({ API_VERSION: '21' })).toThrow(/API_VERSION must look like v21.0/);
  });
});
