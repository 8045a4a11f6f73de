import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { fork, ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { Client } from 'pg';
import { request } from 'undici';
import { FakeTelegramApi } from '../test/fakes/fake-telegram-api';
import { freePort } from '../test/utils/free-port';
import { NatsServerProcess } from '../test/utils/nats-server';

const BOT = '987654322:NATSbenchNATSbenchNATSbenchNATS';
/** Updates per second (the figure is at 200; BENCH_NATS_RATE for a machine that cannot ingest that). */
const RATE = Number(process.env.BENCH_NATS_RATE ?? 200);

/** Latency figures of one path, ms. */
interface Latency {
  count: number;
  expected: number;
  p50Ms: number;
  p99Ms: number;
}

export interface NatsBenchResult {
  rate: number;
  seconds: number;
  /** Inbound Telegram webhook sent → the message on `telegram.bench.in.message` (JetStream publish, via the outbox). */
  inboundToNats: Latency;
  /** The same updates → the client webhook's `message_received` delivery (BullMQ). */
  inboundToClientWebhook: Latency;
  /** The same updates → the gateway's HTTP 200 to the provider (stored): the part both paths share. */
  inboundAnswered: Latency;
  /** Messages JetStream stored on the stream during the run (every subject). */
  streamMessages: number;
}

/**
 * Issue 13: inbound → NATS publish latency next to inbound → client webhook, at 200 updates/s,
 * measured on the same updates in one run. Own database, own `nats-server -js` on a free port
 * (never the shared 4222), the gateway split into an API and a worker process as documented,
 * a Telegram instance with a client webhook on 127.0.0.1 and a core NATS subscriber.
 */
export async function natsBench(opts: {
  pgAdminUrl: string;
  seconds: number;
  execArgv: string[];
  logLevel: string;
}): Promise<NatsBenchResult> {
  const run = `n${Date.now().toString(36)}`;
  const dbName = `switchboard_bench_${run}`;
  const admin = new Client({ connectionString: opts.pgAdminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(opts.pgAdminUrl);
  dbUrl.pathname = `/${dbName}`;
  const nats = await NatsServerProcess.start();
  const tg = await FakeTelegramApi.start();
  tg.addBot(BOT, { username: 'nats_bench_bot' });

  const webhookAt = new Map<string, number>();
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = performance.now();
      try {
        const env = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (env.event === 'message_received') webhookAt.set(env.data.text, now);
      } catch {
        /* not ours */
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: dbUrl.toString(),
    REDIS_PREFIX: `sbbench-${run}`,
    JWT_SECRET: 'bench-jwt-secret-0123456789abcdef0123456789',
    ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
    ADMIN_PASSWORD: 'bench-admin-password',
    LOG_LEVEL: opts.logLevel,
    TELEGRAM_API_ROOT: tg.apiRoot,
    PUBLIC_BASE_URL: base,
    WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
    RATE_LIMIT_LIMIT: '1000000000',
    RATE_LIMIT_SEND_LIMIT: '1000000000',
    RATE_LIMIT_WEBHOOK_LIMIT: '1000000000',
    NATS_URL: nats.url,
    NATS_STREAM: 'SBBENCH',
  };
  const procs: ChildProcess[] = [];
  const nc = await connect({ servers: nats.url });
  try {
    const api = fork(join(__dirname, 'gateway.js'), {
      execArgv: opts.execArgv,
      env: { ...env, PORT: String(port), APP_ROLE: 'api' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    procs.push(api);
    await new Promise<void>((resolve, reject) => {
      api.once('message', () => resolve());
      api.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
    });
    procs.push(
      fork(join(__dirname, '../src/worker.js'), {
        execArgv: opts.execArgv,
        env: { ...env, APP_ROLE: 'worker', DB_MIGRATIONS_RUN: 'false' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    const call = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
      const res = await request(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      const text = await res.body.text();
      if (res.statusCode >= 300) throw new Error(`POST ${path} → ${res.statusCode} ${text}`);
      return JSON.parse(text);
    };
    const { token } = await call('/api/auth/login', {
      email: 'admin@example.com',
      password: 'bench-admin-password',
    });
    const instance = await call(
      '/api/instances',
      {
        provider: 'telegram',
        name: 'bench',
        slug: 'bench',
        config: { botToken: BOT },
        webhookUrl: receiverUrl,
        webhookSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      },
      { authorization: `Bearer ${token}` },
    );
    const headers = {
      'content-type': 'application/json',
      'x-telegram-bot-api-secret-token': String(tg.webhookFor(BOT)!.secretToken),
    };

    const natsAt = new Map<string, number>();
    nc.subscribe('telegram.bench.in.message', {
      callback: (_err, m) => {
        const now = performance.now();
        const text = (m.json() as { text?: string }).text;
        if (text) natsAt.set(text, now);
      },
    });
    await nc.flush();
    // the worker's publisher is connected once the stream exists
    const jsm = await jetstreamManager(nc);
    for (const until = Date.now() + 30_000; Date.now() < until;) {
      if (await jsm.streams.info('SBBENCH').catch(() => null)) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    let updateId = 1;
    const answeredAt = new Map<string, number>();
    const send = (text: string) => {
      const id = updateId++;
      const chat = 100_000 + (id % 1000);
      return request(`${base}/webhooks/telegram/${instance.id}`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          update_id: id,
          message: {
            message_id: id,
            from: { id: chat, is_bot: false, first_name: 'Bench' },
            chat: { id: chat, type: 'private', first_name: 'Bench' },
            date: Math.floor(Date.now() / 1000),
            text,
          },
        }),
      }).then(async (r) => {
        await r.body.dump();
        answeredAt.set(text, performance.now());
      });
    };
    // warm-up: 2 s at the same rate, not measured
    const pace = async (n: number, prefix: string, sentAt?: Map<string, number>) => {
      const started = performance.now();
      const inflight: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) {
        const wait = started + (i * 1000) / RATE - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const text = `${prefix}-${i}`;
        sentAt?.set(text, performance.now());
        inflight.push(send(text));
      }
      await Promise.all(inflight);
    };
    await pace(RATE * 2, `warm-${run}`);
    await new Promise((r) => setTimeout(r, 2000));

    const sentAt = new Map<string, number>();
    const total = RATE * opts.seconds;
    await pace(total, `nats-${run}`, sentAt);
    const complete = () => [...sentAt.keys()].every((k) => natsAt.has(k) && webhookAt.has(k));
    for (const until = Date.now() + 30_000; Date.now() < until && !complete();)
      await new Promise((r) => setTimeout(r, 100));
    const latency = (arrivals: Map<string, number>): Latency => {
      const xs = [...sentAt]
        .filter(([k]) => arrivals.has(k))
        .map(([k, t0]) => arrivals.get(k)! - t0)
        .sort((a, b) => a - b);
      const pct = (p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
      return { count: xs.length, expected: total, p50Ms: +pct(50).toFixed(1), p99Ms: +pct(99).toFixed(1) };
    };
    const info = await jsm.streams.info('SBBENCH');
    const result: NatsBenchResult = {
      rate: RATE,
      seconds: opts.seconds,
      inboundToNats: latency(natsAt),
      inboundToClientWebhook: latency(webhookAt),
      inboundAnswered: latency(answeredAt),
      streamMessages: info.state.messages,
    };
    mkdirSync(join(__dirname, '../../bench/results'), { recursive: true });
    writeFileSync(
      join(__dirname, '../../bench/results/nats-latest.json'),
      JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2),
    );
    return result;
  } finally {
    await nc.close();
    for (const p of procs) {
      if (p.exitCode !== null) continue;
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
    await tg.stop();
    receiver.close();
    await nats.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
}

/** Prints one result: the two paths side by side. */
export function printNatsBench(r: NatsBenchResult): void {
  console.log(`\nNATS (issue 13) @ ${r.rate} updates/s for ${r.seconds} s, same updates, one run:`);
  console.table([
    { path: 'inbound webhook → NATS (telegram.bench.in.message)', ...r.inboundToNats },
    { path: 'inbound webhook → client webhook (message_received)', ...r.inboundToClientWebhook },
    { path: 'inbound webhook → HTTP 200 (stored; shared by both)', ...r.inboundAnswered },
  ]);
  console.log(
    `JetStream stored ${r.streamMessages} messages (every in.* subject and switchboard.* envelope)`,
  );
}
