import Redis from 'ioredis';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { connectionLeaseName } from '../../src/modules/connections/connection-supervisor';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { TcpProxy } from '../fakes/tcp-proxy';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const ROOT = join(__dirname, '../..');

/** A gateway process running the TypeScript sources on this run's database; stdout and stderr are collected. */
interface Gateway {
  child: ChildProcess;
  output: () => string;
  /** pino lines (LOG_LEVEL=info) parsed from stdout. */
  logs: () => Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startGateway(entry: 'main' | 'worker', env: Record<string, string | undefined>): Gateway {
  const child = spawn(
    process.execPath,
    ['-r', join(ROOT, 'test/utils/ts-register.js'), join(ROOT, `src/${entry}.ts`)],
    {
      cwd: ROOT,
      env: { ...process.env, DB_MIGRATIONS_RUN: 'false', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    // 'close', not 'exit': by then stdout and stderr are drained
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => out,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return {};
          }
        }),
    exited,
  };
}

async function kill(g: Gateway | undefined): Promise<void> {
  if (g && g.child.exitCode === null && g.child.signalCode === null) {
    g.child.kill('SIGKILL');
    await g.exited;
  }
}

/** Noise a Redis reset used to print to the console (ioredis/BullMQ without an error listener). */
const CONNECTION_NOISE = /Unhandled error event|EPIPE|ECONNRESET|ECONNREFUSED|Connection is closed/;

/**
 * Shutdown and restart: app.close() finishes after Redis was cut and restored; Ctrl-C releases
 * the Telegram polling lease, so a restarted gateway polls again at once; a killed gateway's
 * lease (TTL 15 s) is taken over by the next one, which logs who it is waiting for.
 */
describe('shutdown and restart (e2e)', () => {
  describe('app.close() after a Redis cut and restore', () => {
    const BOT = '770803109:GGHdqTcvCH1vGWJxfSeofSAs0K5PALDshut';
    let t: TestApp;
    let tg: FakeTelegramApi;
    let proxy: TcpProxy;
    let consoleError: jest.SpyInstance;

    beforeAll(async () => {
      tg = await FakeTelegramApi.start();
      tg.addBot(BOT);
      const rd = new URL(process.env.REDIS_URL!);
      proxy = await TcpProxy.start({ host: rd.hostname, port: Number(rd.port || 6379) });
      consoleError = jest.spyOn(console, 'error');
      t = await startTestApp({
        TELEGRAM_API_ROOT: tg.apiRoot,
        PUBLIC_BASE_URL: undefined,
        REDIS_URL: proxy.url,
        REDIS_PREFIX: `${process.env.REDIS_PREFIX}-shutdown`,
      });
    });

    afterAll(async () => {
      consoleError.mockRestore();
      proxy.restore();
      await Promise.all([tg.stop(), proxy.stop()]);
    });

    it('recovers from the cut with the poller, queues and readiness all using Redis', async () => {
      const alice = await createTenant(t);
      await alice
        .post('/api/instances')
        .send({ provider: 'telegram', name: 'cut', config: { botToken: BOT } })
        .expect(201);
      await eventually(async () => tg.calls('getUpdates').length > 0, 10_000, 'the bot to be polled');
      const ready = () => t.http().get('/health/ready');
      await ready().expect(200);

      proxy.cut();
      await eventually(async () => (await ready()).status === 503, 15_000, 'readiness to fail');
      await t.http().get('/health').expect(200);
      proxy.restore();
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

    // The bound is the test timeout. Closing while the worker's blocking connection still waits
    // to reconnect used to hang: ioredis 5 never emitted "end" for a disconnect() in that state,
    // and BullMQ's Worker.close() waits for it.
    it('app.close() resolves right after Redis comes back', async () => {
      proxy.cut();
      await eventually(
        async () => (await t.http().get('/health/ready')).status === 503,
        15_000,
        'readiness to fail',
      );
      proxy.restore();
      await t.close();
      const noise = consoleError.mock.calls
        .map((c) => c.map(String).join(' '))
        .filter((l) => CONNECTION_NOISE.test(l));
      expect(noise).toEqual([]);
    }, 30_000);
  });

  describe('restart', () => {
    const GRACEFUL_BOT = '880904210:HHHdqTcvCH1vGWJxfSeofSAs0K5PALDrest';
    const KILLED_BOT = '990005321:IIHdqTcvCH1vGWJxfSeofSAs0K5PALDkill';
    const PREFIX = `${process.env.REDIS_PREFIX}-restart`;
    let api: TestApp;
    let tg: FakeTelegramApi;
    let alice: TestTenant;
    let redis: Redis;
    const gateways: Gateway[] = [];
    const created: string[] = [];

    const gatewayEnv = {
      TELEGRAM_API_ROOT: '',
      PUBLIC_BASE_URL: undefined,
      REDIS_PREFIX: PREFIX,
      APP_ROLE: 'worker',
    };
    const worker = () => {
      const g = startGateway('worker', gatewayEnv);
      gateways.push(g);
      return g;
    };
    const leaseKey = (instanceId: string) => `${PREFIX}:lease:${connectionLeaseName(instanceId)}`;
    const storedText = (instanceId: string, text: string) =>
      api.db
        .query("SELECT text FROM messages WHERE instance_id = $1 AND direction = 'in' AND text = $2", [
          instanceId,
          text,
        ])
        .then((rows: unknown[]) => rows.length > 0);
    const message = (id: number, text: string) => ({
      message: {
        message_id: id,
        from: { id: 5151, first_name: 'Rita' },
        chat: { id: 5151, type: 'private' },
        date: 1700000000,
        text,
      },
    });
    const createBot = async (token: string, name: string): Promise<string> => {
      const res = await alice
        .post('/api/instances')
        .send({ provider: 'telegram', name, config: { botToken: token } })
        .expect(201);
      created.push(res.body.id);
      return res.body.id;
    };

    beforeAll(async () => {
      tg = await FakeTelegramApi.start();
      tg.addBot(GRACEFUL_BOT);
      tg.addBot(KILLED_BOT);
      gatewayEnv.TELEGRAM_API_ROOT = tg.apiRoot;
      // the API process only: polling runs in the worker processes under test
      api = await startTestApp(
        { TELEGRAM_API_ROOT: tg.apiRoot, PUBLIC_BASE_URL: undefined, REDIS_PREFIX: PREFIX },
        0,
        'api',
      );
      alice = await createTenant(api);
      redis = new Redis(process.env.REDIS_URL!);
    });

    afterAll(async () => {
      for (const g of gateways) await kill(g);
      for (const id of created) await alice.del(`/api/instances/${id}`);
      await api.close();
      await redis.quit();
      await tg.stop();
    });

    it('Ctrl-C releases the polling lease and prints no Redis error; the restarted gateway polls within 10 s', async () => {
      const instanceId = await createBot(GRACEFUL_BOT, 'graceful');
      const first = worker();
      await eventually(
        () => redis.exists(leaseKey(instanceId)),
        30_000,
        'the first worker to take the lease',
      );
      const lease = await redis.get(leaseKey(instanceId));
      expect(lease).toMatch(new RegExp(`/${first.child.pid}/[0-9a-f]{8}#\\d+$`));
      const ttl = await redis.pttl(leaseKey(instanceId));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(15_000);

      first.child.kill('SIGINT');
      const exit = await first.exited;
      expect(exit.signal).toBe('SIGINT'); // Nest closed the app, then re-raised the signal
      expect(await redis.exists(leaseKey(instanceId))).toBe(0);
      expect(first.output()).not.toMatch(CONNECTION_NOISE);
      expect(first.logs()).toContainEqual(
        expect.objectContaining({
          msg: 'connections stopped, leases released',
          instances: expect.any(Number),
        }),
      );

      const second = worker();
      await eventually(
        async () => second.logs().some((l) => l.msg === 'Worker started'),
        30_000,
        'the second worker to boot',
      );
      tg.pushUpdate(GRACEFUL_BOT, message(1, 'after the restart'));
      await eventually(() => storedText(instanceId, 'after the restart'), 10_000, 'the update stored');
      // it found the lease free: nobody to wait for
      expect(second.logs().filter((l) => String(l.msg).includes('waiting to take over'))).toEqual([]);
      await kill(second);
    }, 60_000);

    it('a killed gateway’s lease is taken over within its TTL, and the next one logs that it waits', async () => {
      const instanceId = await createBot(KILLED_BOT, 'killed');
      const first = worker();
      await eventually(
        () => redis.exists(leaseKey(instanceId)),
        30_000,
        'the first worker to take the lease',
      );
      const [firstToken] = (await redis.get(leaseKey(instanceId)))!.split('#').slice(-1);
      first.child.kill('SIGKILL');
      await first.exited;
      expect(await redis.exists(leaseKey(instanceId))).toBe(1); // left behind

      const second = worker();
      tg.pushUpdate(KILLED_BOT, message(2, 'after the kill'));
      await eventually(() => storedText(instanceId, 'after the kill'), 30_000, 'the update stored');

      const waiting = second
        .logs()
        .find((l) => l.instanceId === instanceId && String(l.msg).includes('waiting to take over'));
      expect(waiting).toMatchObject({
        holder: expect.stringContaining(`/${first.child.pid}/`),
        expiresInMs: expect.any(Number),
      });
      expect(waiting!.expiresInMs as number).toBeLessThanOrEqual(15_000);
      const tookOver = second
        .logs()
        .find(
          (l) => l.instanceId === instanceId && String(l.msg).startsWith('took over the telegram connection'),
        );
      expect(tookOver).toMatchObject({ previousHolder: waiting!.holder, waitedMs: expect.any(Number) });
      // a fresh acquisition: a larger fencing number than the dead owner's
      const token = (await redis.get(leaseKey(instanceId)))!;
      expect(token).toContain(`/${second.child.pid}/`);
      expect(Number(token.split('#').pop())).toBeGreaterThan(Number(firstToken));
      await kill(second);
    }, 90_000);
  });
});
