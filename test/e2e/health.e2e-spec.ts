import { TcpProxy } from '../fakes/tcp-proxy';
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

  it('turns unhealthy while Redis is unreachable and healthy again after', async () => {
    redis.cut();
    const down = await eventually(
      async () => {
        const res = await ready();
        return res.status === 503 ? res : null;
      },
      15_000,
      'readiness to fail',
    );
    expect(down.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(down.body).toMatchObject({ status: 503, code: 'not_ready', error: { redis: { status: 'down' } } });
    expect(down.body.detail).toContain('redis');
    await t.http().get('/health').expect(200);

    redis.restore();
    const up = await eventually(
      async () => {
        const res = await ready();
        return res.status === 200 ? res : null;
      },
      20_000,
      'readiness to recover',
    );
    expect(up.body.info.redis).toMatchObject({ status: 'up' });
  }, 45_000);
});
