import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap';
import { toEnvelope } from '../../src/modules/webhooks/events.service';
import { Exchange, OpenApiContract } from './openapi-contract';

export interface TestApp {
  app: NestExpressApplication;
  baseUrl: string;
  db: DataSource;
  /** supertest against the running server. */
  http: () => request.Agent;
  adminToken: string;
  /** The OpenAPI document the app publishes at /api/docs-json. */
  contract: OpenApiContract;
  /** Every response the app sent that departs from its published document. */
  violations: () => string[];
  /**
   * Closes the app, then fails when any response of its life, or any event recorded meanwhile,
   * departs from the published document (`paths`, and `webhooks` for the events).
   */
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
  const exchanges: Exchange[] = [];
  const startedAt = new Date();
  try {
    app = await createApp(role);
    // first listener of the server: sees every response, even those answered before Nest's router
    (app.getHttpServer() as Server).prependListener('request', recordExchanges(exchanges));
    await app.listen(port, '127.0.0.1');
  } finally {
    apply(previous); // configuration is read at boot; later spec files get the run's defaults back
  }
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const http = () => request.agent(baseUrl);
  const published = await http().get('/api/docs-json');
  if (published.status !== 200) {
    await app.close();
    throw new Error(
      `GET /api/docs-json answered ${published.status}: the e2e suite checks every response against it`,
    );
  }
  const contract = new OpenApiContract(published.body);
  const violations = () => exchanges.flatMap((x) => contract.check(x));
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
    contract,
    violations,
    close: async () => {
      const events = await recordedEvents(app.get(DataSource), startedAt);
      await app.close();
      const found = [...violations(), ...events.flatMap((e) => contract.checkWebhook(e))];
      exchanges.length = 0;
      // reported by test/utils/contract-environment.js once every hook has run (see there why not thrown here)
      const sink = globalThis as { __openapiViolations?: string[] };
      (sink.__openapiViolations ??= []).push(...found);
    },
  };
}

/**
 * The envelopes of the events recorded since `at` (what webhooks, the SSE stream and the feed
 * carry), for the check against the document's `webhooks` section. Events of instances deleted
 * meanwhile are gone with them; a database the spec left unreachable yields none.
 */
async function recordedEvents(db: DataSource, at: Date): Promise<unknown[]> {
  const rows = await db
    .query(
      `SELECT e.id, e.type, e.instance_id AS "instanceId", e.sequence, e.payload, e.created_at AS "createdAt", i.provider
         FROM events e JOIN instances i ON i.id = e.instance_id WHERE e.created_at >= $1 ORDER BY e.sequence`,
      [at],
    )
    .catch(() => []);
  return rows.map((r: Parameters<typeof toEnvelope>[0] & { provider: string }) => toEnvelope(r, r.provider));
}

/** Most bytes of one response body the recorder keeps (an event stream is cut there). */
const RECORD_MAX_BYTES = 1 << 20;

/**
 * A `request` listener recording every response (method, URL, status, Content-Type, body) for the
 * contract check. A response still streaming when the connection closes is recorded as truncated.
 */
function recordExchanges(into: Exchange[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const { method = 'GET', url = '/' } = req; // routing may rewrite req.url later
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const buf = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      if (size + buf.length > RECORD_MAX_BYTES) truncated = true;
      else chunks.push(buf);
      size += buf.length;
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      keep(chunk, rest[0]);
      return write(chunk, ...rest);
    }) as ServerResponse['write'];
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      keep(chunk, rest[0]);
      return end(chunk, ...rest);
    }) as ServerResponse['end'];
    let recorded = false;
    const record = (finished: boolean) => {
      if (recorded || !res.headersSent) return;
      recorded = true;
      into.push({
        method,
        url,
        status: res.statusCode,
        contentType: res.getHeader('content-type')?.toString(),
        body: Buffer.concat(chunks),
        truncated: truncated || !finished,
      });
    };
    res.on('finish', () => record(true));
    res.on('close', () => record(res.writableFinished));
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
