import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { TcpProxy } from '../fakes/tcp-proxy';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { freePort } from '../utils/free-port';
import { createTenant, eventually, startTestApp, TestApp } from '../utils/test-app';

const ROOT = join(__dirname, '../..');
const REDIS = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

type Envelope = { id: string; event: string; data: { text?: string; messageId?: string } };
const env = (r: { json: unknown }) => r.json as Envelope;

/** Fault tests, bounded in time: Redis cut during ingest, and a worker killed mid-delivery. */
describe('faults (e2e)', () => {
  describe('the gateway’s Redis connection cut during ingest, then restored', () => {
    const BOT = '440501876:DDHdqTcvCH1vGWJxfSeofSAs0K5PALDredis';
    let t: TestApp;
    let tg: FakeTelegramApi;
    let receiver: WebhookReceiver;
    let proxy: TcpProxy;

    beforeAll(async () => {
      tg = await FakeTelegramApi.start();
      tg.addBot(BOT);
      receiver = await WebhookReceiver.start();
      proxy = await TcpProxy.start({ host: REDIS.hostname, port: Number(REDIS.port || 6379) });
      const port = await freePort();
      t = await startTestApp(
        {
          TELEGRAM_API_ROOT: tg.apiRoot,
          PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
          REDIS_URL: proxy.url,
          // own queue prefix: another app's stalled-check key (30 s lock) must not delay this one's recovery
          REDIS_PREFIX: `${process.env.REDIS_PREFIX}-cut`,
          WEBHOOK_LOCK_DURATION_MS: '2000',
        },
        port,
      );
    });

    afterAll(async () => {
      await proxy.restore();
      await t.close();
      await Promise.all([tg.stop(), receiver.stop(), proxy.stop()]);
    });

    it('delivers every event after recovery, none missing', async () => {
      const alice = await createTenant(t);
      await alice
        .post('/api/instances')
        .send({
          provider: 'telegram',
          name: 'redis-cut',
          config: { botToken: BOT },
          webhookUrl: receiver.url(),
          retryInterval: 200,
          maxRetries: 5,
        })
        .expect(201);
      const ingest = async (from: number, count: number) => {
        const results = await Promise.all(
          Array.from({ length: count }, (_, i) =>
            tg.sendWebhookUpdate(BOT, {
              update_id: 50_000 + from + i,
              message: {
                message_id: from + i,
                from: { id: 808, first_name: 'R' },
                chat: { id: 808, type: 'private' },
                date: 1700000000,
                text: `redis-${from + i}`,
              },
            }),
          ),
        );
        for (const r of results) expect([r.status, JSON.parse(r.body).stored]).toEqual([200, true]);
      };

      await ingest(0, 10);
      // a job active in the worker when Redis goes away is recovered by BullMQ's stalled check (~2 × the lock)
      await proxy.cut();
      await ingest(10, 10); // Redis unreachable: stored in PostgreSQL, acknowledged, not lost
      const [{ n: stored }] = await t.db.query(
        "SELECT count(*)::int AS n FROM messages WHERE text LIKE 'redis-%'",
      );
      expect(stored).toBe(20);
      await new Promise((r) => setTimeout(r, 1500));
      await proxy.restore();
      await ingest(20, 10);

      const wanted = Array.from({ length: 30 }, (_, i) => `redis-${i}`);
      await eventually(
        async () => {
          const got = new Set(receiver.requests.map((r) => env(r).data?.text));
          return wanted.every((w) => got.has(w));
        },
        25_000,
        'every event delivered after Redis came back',
      ).catch(async (err) => {
        const got = new Set(receiver.requests.map((r) => env(r).data?.text));
        const rows = await t.db.query(
          `SELECT e.payload->>'text' AS text, d.status, d.attempts, d.last_error, d.created_at FROM webhook_deliveries d
             JOIN events e ON e.id = d.event_id WHERE e.payload->>'text' LIKE 'redis-%'`,
        );
        throw new Error(
          `${(err as Error).message}; missing ${JSON.stringify(wanted.filter((w) => !got.has(w)))}; rows ${JSON.stringify(rows.filter((r: { text: string }) => !got.has(r.text)))}`,
        );
      });
      // the receiver answers before the worker records the attempt: wait for the rows too
      const rows = await eventually(
        async () => {
          const r = await t.db.query(
            `SELECT d.status, count(*)::int AS n FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
              WHERE e.type = 'message_received' AND e.payload->>'text' LIKE 'redis-%' GROUP BY d.status`,
          );
          return r.length === 1 && r[0].status === 'succeeded' ? r : null;
        },
        5_000,
        'every delivery row succeeded',
      );
      expect(rows).toEqual([{ status: 'succeeded', n: 30 }]);
      const ids = new Set(
        receiver.requests
          .filter((r) => env(r).data?.text?.startsWith('redis-'))
          .map((r) => r.headers['webhook-id']),
      );
      expect(ids.size).toBe(30);
    }, 60_000);
  });

  describe('a worker process killed in the middle of a delivery', () => {
    const BOT = '550601987:EEHdqTcvCH1vGWJxfSeofSAs0K5PALDkill';
    const PREFIX = `${process.env.REDIS_PREFIX}-kill`;
    const TERM_BOT = '660702098:FFHdqTcvCH1vGWJxfSeofSAs0K5PALDterm';
    let t: TestApp;
    let tg: FakeTelegramApi;
    let receiver: WebhookReceiver;
    const workers: ChildProcess[] = [];

    /** A real worker process (APP_ROLE=worker) running the TypeScript sources, on this run's database and Redis prefix. */
    const startWorker = () => {
      const child = spawn(
        process.execPath,
        ['-r', join(ROOT, 'test/utils/ts-register.js'), join(ROOT, 'src/worker.ts')],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            REDIS_PREFIX: PREFIX,
            APP_ROLE: 'worker',
            DB_MIGRATIONS_RUN: 'false',
            WEBHOOK_LOCK_DURATION_MS: '1500',
            LOG_LEVEL: 'silent',
          },
          stdio: ['ignore', 'inherit', 'inherit'],
        },
      );
      workers.push(child);
      return child;
    };

    beforeAll(async () => {
      tg = await FakeTelegramApi.start();
      tg.addBot(BOT);
      tg.addBot(TERM_BOT);
      receiver = await WebhookReceiver.start();
      // own Redis prefix: BullMQ's stalled-check key of another app (30 s lock) must not delay this queue's check
      t = await startTestApp(
        { TELEGRAM_API_ROOT: tg.apiRoot, PUBLIC_BASE_URL: undefined, REDIS_PREFIX: PREFIX },
        0,
        'api',
      ); // no in-process worker
    });

    afterAll(async () => {
      for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
      await t.close();
      await Promise.all([tg.stop(), receiver.stop()]);
    });

    it('completes the delivery later, with exactly one succeeded row', async () => {
      receiver.setResponseDelay(20_000); // the first attempt hangs at the receiver
      const first = startWorker();
      const alice = await createTenant(t);
      const res = await alice
        .post('/api/instances')
        .send({
          provider: 'telegram',
          name: 'kill',
          config: { botToken: BOT },
          webhookUrl: receiver.url(),
          retryInterval: 200,
        })
        .expect(201);
      const inFlight = await receiver.waitFor((r) => env(r).event === 'connected', 20_000);
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      receiver.setResponseDelay(0);
      startWorker();

      const [delivery] = await eventually(
        () =>
          t.db
            .query(
              `SELECT d.* FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
                WHERE e.instance_id = $1 AND e.type = 'connected' AND d.status = 'succeeded'`,
              [res.body.id],
            )
            .then((r) => (r.length ? r : null)),
        25_000,
        'the delivery to complete on the second worker',
      );
      const all = await t.db.query(
        `SELECT d.status FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE e.instance_id = $1 AND e.type = 'connected'`,
        [res.body.id],
      );
      expect(all).toEqual([{ status: 'succeeded' }]);
      expect(delivery.delivered_at).not.toBeNull();
      const attempts = await t.db.query(
        'SELECT attempt, status_code FROM webhook_delivery_attempts WHERE delivery_id = $1',
        [delivery.id],
      );
      expect(attempts).toEqual([{ attempt: 1, status_code: 200 }]); // the killed attempt never got to record anything
      const sameEvent = receiver.requests.filter(
        (r) => r.headers['webhook-id'] === inFlight.headers['webhook-id'],
      );
      expect(sameEvent.length).toBeGreaterThanOrEqual(2); // at least once: the consumer dedupes on webhook-id
    }, 60_000);

    it('lets an in-flight delivery finish when the worker gets SIGTERM', async () => {
      for (const w of workers.filter((p) => p.exitCode === null && p.signalCode === null)) {
        const gone = new Promise((r) => w.once('exit', r));
        w.kill('SIGKILL');
        await gone;
      }
      receiver.reset();
      receiver.setResponseDelay(1500);
      const worker = startWorker();
      const alice = await createTenant(t);
      const res = await alice
        .post('/api/instances')
        .send({
          provider: 'telegram',
          name: 'term',
          config: { botToken: TERM_BOT },
          webhookUrl: receiver.url(),
          retryInterval: 200,
        })
        .expect(201);
      const inFlight = await receiver.waitFor(
        (r) => env(r).event === 'connected' && (r.json as { instanceId: string }).instanceId === res.body.id,
        20_000,
      );
      const exited = new Promise<{ at: number; signal: NodeJS.Signals | null }>((r) =>
        worker.once('exit', (_code, signal) => r({ at: Date.now(), signal })),
      );
      worker.kill('SIGTERM'); // while the receiver still holds the response
      const exit = await exited;
      // Nest closes the worker (BullMQ waits for the active job), then re-raises the signal
      expect(exit.signal).toBe('SIGTERM');
      expect(exit.at - inFlight.receivedAt).toBeGreaterThanOrEqual(1400);
      const rows = await t.db.query(
        `SELECT d.status, d.attempts FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
          WHERE e.instance_id = $1 AND e.type = 'connected'`,
        [res.body.id],
      );
      expect(rows).toEqual([{ status: 'succeeded', attempts: 1 }]);
      receiver.setResponseDelay(0);
    }, 40_000);
  });
});
