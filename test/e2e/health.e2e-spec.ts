import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { request } from 'undici';
import { TcpProxy } from '../fakes/tcp-proxy';
import { freePort } from '../utils/free-port';
import { eventually, startTestApp, TestApp } from '../utils/test-app';

/**
 * /health/ready against PostgreSQL and Redis reached through cuttable TCP proxies: unhealthy
 * (503 naming the dependency) while one is unreachable, healthy again once it is back;
 * /health (liveness) stays 200 throughout.
 */
describe('Readiness (e2e)', () => {
  let t: TestApp;
  let pg: TcpProxy;
  let redis: TcpProxy;

  beforeAll(async () => {
    const db = new URL(process.env.DATABASE_URL!);
    const rd = new URL(process.env.REDIS_URL!);
    pg = await TcpProxy.start({ host: db.hostname, port: Number(db.port || 5432) });
    redis = await TcpProxy.start({ host: rd.hostname, port: Number(rd.port || 6379) });
    db.host = `127.0.0.1:${pg.port}`;
    rd.host = `127.0.0.1:${redis.port}`;
    t = await startTestApp({
      DATABASE_URL: db.toString(),
      REDIS_URL: rd.toString(),
      REDIS_PREFIX: `${process.env.REDIS_PREFIX}-health`,
    });
  });

  afterAll(async () => {
    pg.restore();
    redis.restore();
    await t.close();
    await pg.stop();
    await redis.stop();
  });

  const ready = () => t.http().get('/health/ready');

  it('is ready with PostgreSQL, Redis and the queue backlog reported', async () => {
    const res = await ready().expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      info: {
        database: { status: 'up' },
        redis: { status: 'up' },
        queue: { status: 'up', backlog: expect.any(Number), max: 10000 },
      },
    });
  });

  it('turns unhealthy while PostgreSQL is unreachable and healthy again after', async () => {
    pg.cut();
    const down = await eventually(async () => {
      const res = await ready();
      return res.status === 503 ? res : null;
    }, 15_000);
    expect(down.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(down.body).toMatchObject({
      status: 503,
      code: 'not_ready',
      error: { database: { status: 'down' } },
    });
    expect(down.body.detail).toContain('database');
    await t.http().get('/health').expect(200);

    pg.restore();
    const up = await eventually(async () => {
      const res = await ready();
      return res.status === 200 ? res : null;
    }, 20_000);
    expect(up.body.info.database).toMatchObject({ status: 'up' });
  });
});

/**
 * The Redis case runs against a gateway in a child process: after a Redis cut and restore the
 * in-process app does not finish app.close() (a known shutdown issue, see the issue notes), and
 * a child can simply be killed at the end.
 */
describe('Readiness when Redis is unreachable (e2e, gateway in a child process)', () => {
  const ROOT = join(__dirname, '../..');
  let redis: TcpProxy;
  let gateway: ChildProcess;
  let base: string;

  beforeAll(async () => {
    const rd = new URL(process.env.REDIS_URL!);
    redis = await TcpProxy.start({ host: rd.hostname, port: Number(rd.port || 6379) });
    rd.host = `127.0.0.1:${redis.port}`;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    gateway = spawn(
      process.execPath,
      ['-r', join(ROOT, 'test/utils/ts-register.js'), join(ROOT, 'src/main.ts')],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          APP_ROLE: 'api',
          REDIS_URL: rd.toString(),
          REDIS_PREFIX: `${process.env.REDIS_PREFIX}-health-redis`,
          DB_MIGRATIONS_RUN: 'false',
          LOG_LEVEL: 'silent',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    await eventually(
      () =>
        request(`${base}/health`)
          .then((r) => (r.body.dump(), r.statusCode === 200))
          .catch(() => false),
      30_000,
      'the gateway to listen',
    );
  }, 40_000);

  afterAll(async () => {
    if (gateway.exitCode === null) {
      const gone = new Promise((r) => gateway.once('exit', r));
      gateway.kill('SIGKILL');
      await gone;
    }
    await redis.stop();
  });

  const ready = async () => {
    const res = await request(`${base}/health/ready`);
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, any> };
  };

  it('turns unhealthy while Redis is unreachable and healthy again after', async () => {
    expect((await ready()).status).toBe(200);
    redis.cut();
    const down = await eventually(
      async () => {
        const r = await ready();
        return r.status === 503 ? r : null;
      },
      15_000,
      'readiness to fail',
    );
    expect(down.body).toMatchObject({ status: 503, code: 'not_ready', error: { redis: { status: 'down' } } });
    expect(down.body.detail).toContain('redis');
    const live = await request(`${base}/health`);
    expect(live.statusCode).toBe(200);
    await live.body.dump();

    redis.restore();
    const up = await eventually(
      async () => {
        const r = await ready();
        return r.status === 200 ? r : null;
      },
      20_000,
      'readiness to recover',
    );
    expect(up.body.info.redis).toMatchObject({ status: 'up' });
  }, 45_000);
});
