import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap';

export interface TestApp {
  app: NestExpressApplication;
  baseUrl: string;
  db: DataSource;
  /** supertest against the running server. */
  http: () => request.Agent;
  adminToken: string;
  close: () => Promise<void>;
}

/**
 * Boots the real AppModule (API + workers, APP_ROLE=all) on 127.0.0.1:0 against this run's
 * PostgreSQL database and Redis prefix (test/utils/global-setup.ts). `env` overrides are applied
 * to process.env before boot (e.g. TELEGRAM_API_ROOT pointing at a fake).
 */
export async function startTestApp(
  env: Record<string, string | undefined> = {},
  port = 0,
  role: 'all' | 'api' = 'all',
): Promise<TestApp> {
  const previous = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(env);
  let app: NestExpressApplication;
  try {
    app = await createApp(role);
    await app.listen(port, '127.0.0.1');
  } finally {
    apply(previous); // configuration is read at boot; later spec files get the run's defaults back
  }
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const http = () => request.agent(baseUrl);
  const login = await http()
    .post('/api/auth/login')
    .send({ email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD })
    .expect(200);
  return {
    app,
    baseUrl,
    db: app.get(DataSource),
    http,
    adminToken: login.body.token,
    close: () => app.close(),
  };
}

export interface TestTenant {
  userId: string;
  email: string;
  apiKey: string;
  /** Authenticated with x-api-key. */
  get: (path: string) => request.Test;
  post: (path: string) => request.Test;
  put: (path: string) => request.Test;
  del: (path: string) => request.Test;
}

let tenantSeq = 0;

/** Creates a user through the admin API (which returns their first API key once). */
export async function createTenant(
  t: TestApp,
  overrides: { email?: string; role?: 'admin' | 'user' } = {},
): Promise<TestTenant> {
  tenantSeq += 1;
  const email = overrides.email ?? `user${tenantSeq}-${Date.now()}@example.com`;
  const res = await t
    .http()
    .post('/api/users')
    .set('authorization', `Bearer ${t.adminToken}`)
    .send({
      email,
      password: 'password-123',
      firstName: 'Test',
      lastName: `User${tenantSeq}`,
      role: overrides.role ?? 'user',
    })
    .expect(201);
  const apiKey: string = res.body.apiKey;
  const auth = (r: request.Test) => r.set('x-api-key', apiKey);
  return {
    userId: res.body.id,
    email,
    apiKey,
    get: (p) => auth(t.http().get(p)),
    post: (p) => auth(t.http().post(p)),
    put: (p) => auth(t.http().put(p)),
    del: (p) => auth(t.http().delete(p)),
  };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
