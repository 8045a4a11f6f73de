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
