import request from 'supertest';
import { createTenant, startTestApp, TestApp } from '../utils/test-app';

describe('auth (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('logs the seeded admin in and returns {token, user} in the seeds shape', async () => {
    const res = await t
      .http()
      .post('/api/auth/login')
      .send({ email: 'admin@example.com', password: process.env.ADMIN_PASSWORD })
      .expect(200);
    expect(res.body.token.split('.')).toHaveLength(3);
    expect(res.body.user).toMatchObject({
      email: 'admin@example.com',
      role: 'admin',
      firstName: 'Admin',
      lastName: 'User',
      isActive: true,
    });
    expect(res.body.user).not.toHaveProperty('passwordHash');
  });

  it('refuses a wrong password with problem+json and one message for every failure', async () => {
    const res = await t
      .http()
      .post('/api/auth/login')
      .send({ email: 'admin@example.com', password: 'nope-nope' })
      .expect(401);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({
      status: 401,
      code: 'unauthorized',
      detail: 'Invalid email or password',
    });
    expect(res.body.requestId).toBeTruthy();
    const unknown = await t
      .http()
      .post('/api/auth/login')
      .send({ email: 'ghost@example.com', password: 'nope-nope' })
      .expect(401);
    expect(unknown.body.detail).toBe(res.body.detail);
  });

  it('validates the login body and names the field', async () => {
    const res = await t.http().post('/api/auth/login').send({ email: 'not-an-email' }).expect(400);
    expect(res.body.code).toBe('validation_failed');
    expect([...new Set(res.body.errors.map((e: { field: string }) => e.field))].sort()).toEqual([
      'email',
      'password',
    ]);
    expect(res.body.errors.find((e: { field: string }) => e.field === 'email').message).toMatch(/email/);
  });

  it('answers 401 without credentials, with a bad JWT and with a bad API key', async () => {
    for (const req of [
      t.http().get('/api/auth/me'),
      t.http().get('/api/auth/me').set('authorization', 'Bearer not.a.jwt'),
      t.http().get('/api/auth/me').set('x-api-key', 'sb_bogus_key'),
      t.http().get('/api/instances'),
    ]) {
      const res = await req.expect(401);
      expect(res.body).toMatchObject({ status: 401, code: 'unauthorized' });
    }
  });

  it('accepts both a Bearer JWT and x-api-key for the same user', async () => {
    const viaJwt = await t
      .http()
      .get('/api/auth/me')
      .set('authorization', `Bearer ${t.adminToken}`)
      .expect(200);
    const key = await t
      .http()
      .post('/api/auth/api-keys')
      .set('authorization', `Bearer ${t.adminToken}`)
      .send({ name: 'ci' })
      .expect(201);
    expect(key.body.key).toMatch(/^sb_[\w-]{8}_[\w-]{43}$/);
    expect(key.body.prefix).toBe(key.body.key.slice(0, 11));
    const viaKey = await t.http().get('/api/auth/me').set('x-api-key', key.body.key).expect(200);
    expect(viaKey.body).toEqual(viaJwt.body);
    expect(viaKey.body.email).toBe('admin@example.com');

    const [row] = await t.db.query('SELECT key_hash FROM api_keys WHERE id = $1', [key.body.id]);
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.key_hash).not.toContain(key.body.key);

    const list = await t.http().get('/api/auth/api-keys').set('x-api-key', key.body.key).expect(200);
    const listed = list.body.apiKeys.find((k: { id: string }) => k.id === key.body.id);
    expect(listed).toMatchObject({ name: 'ci', prefix: key.body.prefix });
    expect(listed).not.toHaveProperty('key');

    await t
      .http()
      .delete(`/api/auth/api-keys/${key.body.id}`)
      .set('authorization', `Bearer ${t.adminToken}`)
      .expect(200);
    await t.http().get('/api/auth/me').set('x-api-key', key.body.key).expect(401);
  });

  it('keeps user management admin-only', async () => {
    const user = await createTenant(t);
    const res = await user.get('/api/users').expect(403);
    expect(res.body.code).toBe('forbidden');
    await user.post('/api/users').send({ email: 'x@example.com', password: 'password-123' }).expect(403);

    const list = await t.http().get('/api/users').set('authorization', `Bearer ${t.adminToken}`).expect(200);
    expect(list.body.users.map((u: { email: string }) => u.email)).toContain(user.email);
    expect(list.body.pagination).toMatchObject({ skip: 0, hasMore: false });

    const dup = await t
      .http()
      .post('/api/users')
      .set('authorization', `Bearer ${t.adminToken}`)
      .send({ email: user.email, password: 'password-123' })
      .expect(409);
    expect(dup.body.code).toBe('email_taken');

    const patched = await t
      .http()
      .patch(`/api/users/${user.userId}`)
      .set('authorization', `Bearer ${t.adminToken}`)
      .send({ isActive: false })
      .expect(200);
    expect(patched.body.isActive).toBe(false);
    await user.get('/api/auth/me').expect(401);

    await t
      .http()
      .delete(`/api/users/${user.userId}`)
      .set('authorization', `Bearer ${t.adminToken}`)
      .expect(200);
    const [{ count }] = await t.db.query('SELECT count(*)::int AS count FROM users WHERE id = $1', [
      user.userId,
    ]);
    expect(count).toBe(0);
  });

  it('serves Swagger with both security schemes and the routes', async () => {
    const res = await t.http().get('/api/docs-json').expect(200);
    expect(Object.keys(res.body.components.securitySchemes).sort()).toEqual(['api-key', 'bearer']);
    for (const path of [
      '/api/auth/login',
      '/api/instances',
      '/api/instances/{id}/messages',
      '/api/instances/{id}/events',
      '/api/instances/{id}/contacts/db',
    ]) {
      expect(res.body.paths).toHaveProperty([path]);
    }
    await t.http().get('/api/docs').expect(200).expect('content-type', /html/);
  });

  it('answers /health and /health/ready', async () => {
    expect((await t.http().get('/health').expect(200)).body.status).toBe('ok');
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.info).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });
});

/**
 * The callers credentials resolve to are kept per API process for AUTH_CACHE_TTL_MS (PrincipalCache):
 * the process that revokes or deactivates refuses at once (above), the other one as soon as it
 * hears of it on Redis — long before this suite's TTL of a minute — and no cached caller outlives
 * its JWT. (That an entry ends with the TTL when the message is lost: principal-cache.spec.ts.)
 */
describe('auth across API processes (e2e)', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const env = { AUTH_CACHE_TTL_MS: '60000' };
    a = await startTestApp(env);
    b = await startTestApp(env);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  /** ms until GET /api/auth/me on `app` answers 401, polled every 50 ms for at most `withinMs`. */
  async function msUntilRefused(app: TestApp, auth: [string, string], withinMs: number): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < withinMs) {
      const res = await request(app.baseUrl)
        .get('/api/auth/me')
        .set(...auth);
      if (res.status === 401) return Date.now() - started;
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`still accepted after ${withinMs} ms`);
  }

  it('a key revoked on one process stops working on the other at once', async () => {
    const user = await createTenant(a);
    const key: [string, string] = ['x-api-key', user.apiKey];
    await request(b.baseUrl)
      .get('/api/auth/me')
      .set(...key)
      .expect(200); // b remembers it
    const [{ id }] = (await user.get('/api/auth/api-keys').expect(200)).body.apiKeys;
    await user.del(`/api/auth/api-keys/${id}`).expect(200);
    await request(a.baseUrl)
      .get('/api/auth/me')
      .set(...key)
      .expect(401);
    expect(await msUntilRefused(b, key, 5000)).toBeLessThanOrEqual(1000);
  });

  it('a user deactivated on one process is refused by the other at once, by JWT and by key', async () => {
    const user = await createTenant(a);
    const login = await request(b.baseUrl)
      .post('/api/auth/login')
      .send({ email: user.email, password: 'password-123' })
      .expect(200);
    const jwt: [string, string] = ['authorization', `Bearer ${login.body.token}`];
    const key: [string, string] = ['x-api-key', user.apiKey];
    await request(b.baseUrl)
      .get('/api/auth/me')
      .set(...jwt)
      .expect(200);
    await request(b.baseUrl)
      .get('/api/auth/me')
      .set(...key)
      .expect(200);
    await request(a.baseUrl)
      .patch(`/api/users/${user.userId}`)
      .set('authorization', `Bearer ${a.adminToken}`)
      .send({ isActive: false })
      .expect(200);
    await request(a.baseUrl)
      .get('/api/auth/me')
      .set(...key)
      .expect(401);
    const [viaJwt, viaKey] = await Promise.all([msUntilRefused(b, jwt, 5000), msUntilRefused(b, key, 5000)]);
    expect(Math.max(viaJwt, viaKey)).toBeLessThanOrEqual(1000);
  });

  it("never serves a cached caller past its JWT's expiry", async () => {
    // a longer cache than the token's life: the token's `exp` must end the entry
    const c = await startTestApp({ AUTH_CACHE_TTL_MS: '60000', JWT_EXPIRATION: '2s' });
    try {
      const login = await request(c.baseUrl)
        .post('/api/auth/login')
        .send({ email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD })
        .expect(200);
      const issued = Date.now();
      const jwt: [string, string] = ['authorization', `Bearer ${login.body.token}`];
      await request(c.baseUrl)
        .get('/api/auth/me')
        .set(...jwt)
        .expect(200);
      await msUntilRefused(c, jwt, 4000);
      expect(Date.now() - issued).toBeLessThanOrEqual(2000 + 1000);
    } finally {
      await c.close();
    }
  });
});
