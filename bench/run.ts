/**
 * `npm run bench`: load and latency figures for this machine, in one run (not part of npm test).
 *
 * The gateway runs in a child process (its RSS sampled every 100 ms); load comes from autocannon
 * in this process against 127.0.0.1 only, with fixed durations. Figures are reported as ratios
 * to baselines measured in the same run and the same app (an empty endpoint and a single-row
 * insert), because absolute numbers on a shared 2-core machine are noisy.
 * Writes bench/results/latest.json.
 */
import autocannon from 'autocannon';
import { fork, ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { Client } from 'pg';
import { request } from 'undici';
import { FakeGraphApi, hubSignature256, metaJson } from '../test/fakes/fake-graph-api';
import { FakeTelegramApi } from '../test/fakes/fake-telegram-api';
import { FakeSlack, slackJson, slackSignatureHeader } from '../test/fakes/fake-slack';
import { bullmqCeiling } from './bullmq-ceiling';
import { summariseProfile } from './profile-summary';
import { cpuAccounting } from './cpu-accounting';
import { natsBench, printNatsBench } from './nats';
import { freePort } from '../test/utils/free-port';

const PG_ADMIN = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const BOT = '987654321:BENCHbenchBENCHbenchBENCHbench';
const WA_PHONE = '106540352242922';
const WA_TOKEN = 'EAABenchWhatsAppToken';
const WA_SECRET = 'bench-app-secret-0123456789abcdef';
const SLACK_BOT_TOKEN = 'xoxb-bench-0000-slackbenchtoken';
const SLACK_SECRET = 'benchslacksigningsecret0123456789';
let PORT = 0;
let BASE = '';
/** The same V8 heap flags `npm start` and the Docker image use (package.json). */
const NODE_FLAGS = '--max-old-space-size=192 --max-semi-space-size=4';
/** Receiver outage length, s, and the backoff cap the gateway runs with here, ms. */
const OUTAGE_S = Number(process.env.BENCH_OUTAGE_S ?? 60);
const MAX_RETRY_DELAY_MS = Number(process.env.BENCH_MAX_RETRY_DELAY_MS ?? 10_000);
/**
 * BENCH_ONLY=send,pipeline,… runs the baselines plus only those groups (default: all):
 * inbound (webhooks, drain, counters), send (sync sends), pipeline (bare NestJS baseline),
 * broadcast (async 10,000-message broadcast), e2e, outage (BullMQ ceiling + receiver outage),
 * nats (inbound→NATS next to inbound→client webhook, its own gateway and nats-server).
 */
const ONLY = new Set((process.env.BENCH_ONLY ?? '').split(',').filter(Boolean));
const want = (group: string): boolean => ONLY.size === 0 || ONLY.has(group);
/** BENCH_PROFILE=<dir>: a CPU profile of the API process per profiled scenario, summarised in the output. */
const PROFILE_DIR = process.env.BENCH_PROFILE;

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  note?: string;
  /** CPU µs per request by process role over the run (bench/cpu-accounting.ts). */
  cpu?: Record<string, number>;
}

/** The processes a row's CPU is attributed to by name (the API under load, the worker); set once they run. */
let cpuRoles: Record<string, number | undefined> = {};

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function cannon(
  name: string,
  opts: autocannon.Options,
  note?: string,
  roles: Record<string, number | undefined> = cpuRoles,
): Promise<Row> {
  const cpu = cpuAccounting(roles);
  const r = await autocannon({ duration: DURATION_S, connections: 32, ...opts } as autocannon.Options);
  const used = cpu();
  const requests = r.requests.total || 1;
  return {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx + r.errors + r.timeouts,
    note,
    cpu: Object.fromEntries(Object.entries(used).map(([k, ms]) => [k, Math.round((ms * 1000) / requests)])),
  };
}

/**
 * An open-loop load at a fixed rate: request i leaves at t0 + i/rate whatever the answers before
 * it (autocannon's `overallRate` instead fires each connection's quota at the start of every
 * second, so "100/s" arrived as bursts of 100 and p99 measured a burst's drain). Latency counts
 * from the scheduled start, so a late client or a queue in front of the gateway is included.
 */
async function paced(
  name: string,
  rate: number,
  next: () => { path: string; method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
  note = 'paced',
): Promise<Row> {
  const total = Math.round(rate * DURATION_S);
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const { path, ...init } = next();
    inflight.push(
      request(`${BASE}${path}`, init)
        .then(async (res) => {
          await res.body.dump();
          if (res.statusCode >= 300) failed++;
        })
        .catch(() => void failed++)
        .finally(() => void latencies.push(performance.now() - due)),
    );
  }
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    +latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
  return {
    name,
    rps: total / ((performance.now() - started) / 1000),
    p50: at(0.5),
    p99: at(0.99),
    non2xx: failed,
    note,
  };
}

async function json(
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await request(`${BASE}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path} → ${res.statusCode} ${text}`);
  return JSON.parse(text);
}

/** Issue 13's scenario (bench/nats.ts): its own gateway, database and nats-server. */
async function runNats(): Promise<void> {
  printNatsBench(
    await natsBench({
      pgAdminUrl: PG_ADMIN,
      seconds: DURATION_S,
      execArgv: (process.env.BENCH_NODE_FLAGS ?? NODE_FLAGS).split(' ').filter(Boolean),
      logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn',
    }),
  );
}

async function main(): Promise<void> {
  // BENCH_ONLY=nats: only the NATS scenario (it runs its own gateway and nats-server)
  if (ONLY.size === 1 && ONLY.has('nats')) return runNats();
  PORT = Number(process.env.BENCH_PORT ?? (await freePort()));
  BASE = `http://127.0.0.1:${PORT}`;
  const run = Date.now().toString(36);
  const dbName = `switchboard_bench_${run}`;
  const admin = new Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(PG_ADMIN);
  dbUrl.pathname = `/${dbName}`;

  const tg = await FakeTelegramApi.start();
  tg.addBot(BOT, { username: 'bench_bot' });
  const graph = await FakeGraphApi.start();
  graph.addPhoneNumber(WA_PHONE, { token: WA_TOKEN });
  const slack = await FakeSlack.start();
  const slackBot = slack.addBot({ token: SLACK_BOT_TOKEN, team: 'Bench', user: 'benchbot' });
  // 1000 senders, like the Telegram run's 1000 chats: each name looked up once (users.info), then cached
  for (let i = 0; i < 1000; i++)
    slack.addUser({ id: `U0BENCH${i}`, name: `bench${i}`, real_name: `Bench ${i}` });

  // client webhook receiver: records when each message_received arrives (for end-to-end latency)
  const arrivals = new Map<string, number>();
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = performance.now();
      try {
        const env = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (env.event === 'message_received' && typeof env.data?.text === 'string')
          arrivals.set(env.data.text, now);
      } catch {
        /* not ours */
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverPort = (receiver.address() as { port: number }).port;
  const receiverUrl = `http://127.0.0.1:${receiverPort}/hook`;

  // Default topology = the documented scale-out: one API process + one worker process
  // (BENCH_TOPOLOGY=all runs everything in one process, like the quick start).
  const topology = process.env.BENCH_TOPOLOGY ?? 'split';
  const childEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: dbUrl.toString(),
    REDIS_PREFIX: `sbbench-${run}`,
    JWT_SECRET: 'bench-jwt-secret-0123456789abcdef0123456789',
    ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
    ADMIN_PASSWORD: 'bench-admin-password',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    TELEGRAM_API_ROOT: tg.apiRoot,
    GRAPH_API_BASE_URL: graph.baseUrl,
    SLACK_API_URL: slack.apiUrl,
    PUBLIC_BASE_URL: BASE,
    WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
    WEBHOOK_MAX_RETRY_DELAY_MS: String(MAX_RETRY_DELAY_MS),
    DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '50',
    // the bench measures the gateway, not its rate limiter's budget
    RATE_LIMIT_LIMIT: process.env.BENCH_RATE_LIMIT ?? '1000000000',
    RATE_LIMIT_SEND_LIMIT: process.env.BENCH_RATE_LIMIT ?? '1000000000',
    RATE_LIMIT_WEBHOOK_LIMIT: process.env.BENCH_RATE_LIMIT ?? '1000000000',
  };
  const execArgv = (process.env.BENCH_NODE_FLAGS ?? NODE_FLAGS).split(' ').filter(Boolean);
  const child: ChildProcess = fork(join(__dirname, 'gateway.js'), {
    execArgv,
    env: { ...childEnv, PORT: String(PORT), APP_ROLE: topology === 'all' ? 'all' : 'api' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
  });
  const worker: ChildProcess | null =
    topology === 'all'
      ? null
      : fork(join(__dirname, '../src/worker.js'), {
          execArgv,
          env: { ...childEnv, APP_ROLE: 'worker', DB_MIGRATIONS_RUN: 'false' },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
  cpuRoles = { api: child.pid, worker: worker?.pid };
  let maxWorkerRss = 0;
  let maxRss = 0;
  const sampler = setInterval(() => {
    maxRss = Math.max(maxRss, rssMb(child.pid!));
    if (worker) maxWorkerRss = Math.max(maxWorkerRss, rssMb(worker.pid!));
  }, 100);

  try {
    const db = new Client({ connectionString: dbUrl.toString() });
    await db.connect();
    await db.query(
      'CREATE TABLE bench_rows (id bigserial PRIMARY KEY, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
    );

    const { token } = await json('POST', '/api/auth/login', {
      email: 'admin@example.com',
      password: 'bench-admin-password',
    });
    const auth = { authorization: `Bearer ${token}` };
    const instance = await json(
      'POST',
      '/api/instances',
      {
        provider: 'telegram',
        name: 'bench',
        config: { botToken: BOT },
        webhookUrl: receiverUrl,
        webhookSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        maxRetries: 3,
        retryInterval: 1000,
      },
      auth,
    );
    const secretToken = String(tg.webhookFor(BOT)!.secretToken);
    const inboundPath = `/webhooks/telegram/${instance.id}`;

    let updateId = 1;
    const inboundBody = (text?: string) => {
      const id = updateId++;
      const chat = 100_000 + (id % 1000); // 1000 chats, like real traffic
      return JSON.stringify({
        update_id: id,
        message: {
          message_id: id,
          from: { id: chat, is_bot: false, first_name: 'Bench' },
          chat: { id: chat, type: 'private', first_name: 'Bench' },
          date: Math.floor(Date.now() / 1000),
          text: text ?? `bench ${id}`,
        },
      });
    };
    const inboundRequest = {
      method: 'POST' as const,
      path: inboundPath,
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secretToken },
      setupRequest: (req: autocannon.Request) => ({ ...req, body: inboundBody() }),
    };

    await json(
      'POST',
      '/api/instances',
      {
        provider: 'whatsapp-official',
        name: 'bench wa',
        config: {
          phoneNumberId: WA_PHONE,
          accessToken: WA_TOKEN,
          appSecret: WA_SECRET,
          webhookVerifyToken: 'bench',
        },
        webhookUrl: receiverUrl,
        webhookSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        maxRetries: 3,
        retryInterval: 1000,
      },
      auth,
    );
    // WhatsApp Cloud webhook on the shared URL, as Meta sends it: escaped JSON, signed per request
    let wamid = 1;
    const whatsappRequest = {
      method: 'POST' as const,
      path: '/webhooks/whatsapp',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req: autocannon.Request) => {
        const id = wamid++;
        const from = String(16_505_550_000 + (id % 1000));
        const body = metaJson({
          object: 'whatsapp_business_account',
          entry: [
            {
              id: '102290129340398',
              changes: [
                {
                  field: 'messages',
                  value: {
                    messaging_product: 'whatsapp',
                    metadata: { display_phone_number: '15550783881', phone_number_id: WA_PHONE },
                    contacts: [{ profile: { name: 'Bench' }, wa_id: from }],
                    messages: [
                      {
                        from,
                        id: `wamid.bench${run}${id}`,
                        timestamp: String(Math.floor(Date.now() / 1000)),
                        type: 'text',
                        text: { body: `wa bench ${id}` },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        });
        return {
          ...req,
          body,
          headers: { ...req.headers, 'x-hub-signature-256': hubSignature256(WA_SECRET, body) },
        };
      },
    };

    // Slack Events API on the instance's Request URL, as Slack sends it: `\/`-escaped JSON, v0-signed per request
    const slackInstance = await json(
      'POST',
      '/api/instances',
      {
        provider: 'slack',
        name: 'bench slack',
        config: { botToken: SLACK_BOT_TOKEN, signingSecret: SLACK_SECRET, socketMode: false },
        webhookUrl: receiverUrl,
        webhookSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        maxRetries: 3,
        retryInterval: 1000,
      },
      auth,
    );
    let slackSeq = 1;
    const slackRequest = {
      method: 'POST' as const,
      path: `/webhooks/slack/${slackInstance.id}`,
      headers: { 'content-type': 'application/json' },
      setupRequest: (req: autocannon.Request) => {
        const n = slackSeq++;
        const ts = `${Math.floor(Date.now() / 1000)}.${String(n).padStart(6, '0')}`;
        const body = slackJson(
          slack.envelope(
            slackBot,
            {
              type: 'message',
              channel: `C0BENCH${n % 100}`,
              channel_type: 'channel',
              user: `U0BENCH${n % 1000}`,
              text: `slack bench ${n}`,
              ts,
              event_ts: ts,
            },
            `Ev0BENCH${run}${n}`,
          ),
        );
        const stamp = String(Math.floor(Date.now() / 1000));
        return {
          ...req,
          body,
          headers: {
            ...req.headers,
            'x-slack-request-timestamp': stamp,
            'x-slack-signature': slackSignatureHeader(SLACK_SECRET, stamp, body),
          },
        };
      },
    };

    // warm-up
    await cannon('warm-up', { url: BASE, duration: 2, requests: [inboundRequest] });
    // Slack events carry only a user id: the first event of each of the 1000 senders costs one
    // users.info call, then the name is cached (an hour). Warm every sender once, so the measured
    // run is the steady state (as Telegram's, whose updates carry the names inline).
    await cannon('warm-up', { url: BASE, amount: 1000, requests: [slackRequest] });
    await cannon('warm-up', { url: BASE, duration: 2, requests: [whatsappRequest] });
    await cannon('warm-up', {
      url: `${BASE}/bench/insert`,
      duration: 2,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });

    const rows: Row[] = [];
    rows.push(await cannon('baseline: empty endpoint', { url: `${BASE}/bench/empty` }));
    rows.push(
      await cannon('baseline: single-row insert', {
        url: `${BASE}/bench/insert`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"update_id":1,"text":"hello"}',
      }),
    );
    let whatsappRow: Row | null = null;
    let slackRow: Row | null = null;
    let drain: { deliveries: number; seconds: number; perSecond: number } | null = null;
    let countersOn = NaN;
    let countersOff = NaN;
    if (want('inbound')) {
      // Ingest capacity on its own: the worker is paused (SIGSTOP) so deliveries queue up in Redis,
      // then resumed to measure how fast it drains them (deliveries/s) against the local receiver.
      worker?.kill('SIGSTOP');
      rows.push(
        await cannon(
          `telegram inbound webhook (verify+store+enqueue), max${worker ? ', worker paused' : ''}`,
          {
            url: BASE,
            requests: [inboundRequest],
          },
        ),
      );
      whatsappRow = await cannon(
        `whatsapp inbound webhook (signature+store+enqueue), max${worker ? ', worker paused' : ''}`,
        { url: BASE, requests: [whatsappRequest] },
      );
      rows.push(whatsappRow);
      slackRow = await cannon(
        `slack events api webhook (signature+store+enqueue), max${worker ? ', worker paused' : ''}`,
        { url: BASE, requests: [slackRequest] },
      );
      rows.push(slackRow);
      if (worker) {
        const [{ n: backlog }] = (
          await db.query("SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'pending'")
        ).rows;
        const t0 = performance.now();
        worker.kill('SIGCONT');
        const until = Date.now() + 120_000;
        while (Date.now() < until) {
          const [{ n }] = (
            await db.query("SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'pending'")
          ).rows;
          if (n === 0) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        const seconds = (performance.now() - t0) / 1000;
        drain = {
          deliveries: backlog,
          seconds: +seconds.toFixed(1),
          perSecond: Math.round(backlog / seconds),
        };
      }
      rows.push(
        await cannon(
          'telegram inbound webhook @ 500 updates/s',
          { url: BASE, overallRate: 500, requests: [inboundRequest] },
          'fixed rate',
        ),
      );
      // usage counters on vs off (issue 5): a second API process with USAGE_COUNTERS_ENABLED=false,
      // both measured back to back twice with the worker paused, so only ingest is compared
      const offPort = await freePort();
      const offGateway = fork(join(__dirname, 'gateway.js'), {
        execArgv,
        env: {
          ...childEnv,
          PORT: String(offPort),
          APP_ROLE: 'api',
          DB_MIGRATIONS_RUN: 'false',
          USAGE_COUNTERS_ENABLED: 'false',
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      await new Promise<void>((resolve, reject) => {
        offGateway.once('message', () => resolve());
        offGateway.once('exit', (code) => reject(new Error(`counters-off gateway exited with ${code}`)));
      });
      const counters = { on: [] as number[], off: [] as number[] };
      worker?.kill('SIGSTOP');
      for (let round = 0; round < 2; round++) {
        for (const [key, port] of [
          ['on', PORT],
          ['off', offPort],
        ] as const) {
          const r = await cannon(`inbound, counters ${key}`, {
            url: `http://127.0.0.1:${port}`,
            requests: [inboundRequest],
          });
          counters[key].push(r.rps);
        }
      }
      worker?.kill('SIGCONT');
      offGateway.kill('SIGTERM');
      await new Promise((r) => offGateway.once('exit', r));
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      countersOn = Math.round(mean(counters.on));
      countersOff = Math.round(mean(counters.off));
      rows.push({
        name: 'inbound, usage counters on (mean of 2)',
        rps: countersOn,
        p50: NaN,
        p99: NaN,
        non2xx: 0,
      });
      rows.push({
        name: 'inbound, usage counters off (mean of 2)',
        rps: countersOff,
        p50: NaN,
        p99: NaN,
        non2xx: 0,
      });
      for (const until = Date.now() + 120_000; Date.now() < until;) {
        const [{ n }] = (
          await db.query("SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'pending'")
        ).rows;
        if (n === 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }

    // The request pipeline (issue 11): a bare NestJS + express app vs the gateway's empty endpoint,
    // public and behind auth + rate limit, in a second API process that logs every request at
    // `info` (to /dev/null: the serialization is paid, not the terminal). Same Node flags, one
    // process each.
    const pipeline: Record<string, number | null> = {};
    const profiles: Record<string, ReturnType<typeof summariseProfile>> = {};
    /** With BENCH_PROFILE: `fn` run under the V8 CPU profiler of gateway process `proc` (bench/gateway.ts's IPC). */
    const profiled = async <T>(proc: ChildProcess, label: string, fn: () => Promise<T>): Promise<T> => {
      if (!PROFILE_DIR) return fn();
      proc.send({ profile: 'start' });
      try {
        return await fn();
      } finally {
        mkdirSync(PROFILE_DIR, { recursive: true });
        const file = join(PROFILE_DIR, `${label.replace(/\W+/g, '-')}.cpuprofile`);
        await new Promise((r) => {
          proc.once('message', r);
          proc.send({ profile: 'stop', file });
        });
        profiles[label] = summariseProfile(file, 12);
      }
    };
    if (want('pipeline')) {
      const barePort = await freePort();
      const infoPort = await freePort();
      const started = [
        fork(join(__dirname, 'bare.js'), {
          execArgv,
          env: { ...process.env, PORT: String(barePort) },
          stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        }),
        fork(join(__dirname, 'gateway.js'), {
          execArgv,
          env: {
            ...childEnv,
            PORT: String(infoPort),
            APP_ROLE: 'api',
            DB_MIGRATIONS_RUN: 'false',
            LOG_LEVEL: 'info',
          },
          stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        }),
      ];
      await Promise.all(
        started.map(
          (p) =>
            new Promise<void>((resolve, reject) => {
              p.once('message', () => resolve());
              p.once('exit', (code) => reject(new Error(`pipeline process exited with ${code}`)));
            }),
        ),
      );
      await cannon('warm-up', { url: `http://127.0.0.1:${barePort}/bench/empty`, duration: 2 });
      await cannon('warm-up', {
        url: `http://127.0.0.1:${infoPort}/bench/empty-auth`,
        duration: 2,
        headers: auth,
      });
      // Rounds alternate bare → public → authed (BENCH_PIPELINE_ROUNDS, default 3), so a drift of
      // the shared host during the group hits all three alike; each ratio is of the summed requests,
      // and every round is printed so a noisy one shows. Only the first round is profiled.
      const rounds = Math.max(1, Number(process.env.BENCH_PIPELINE_ROUNDS ?? 3));
      const runs = { bare: [] as Row[], pub: [] as Row[], authed: [] as Row[] };
      for (let round = 1; round <= rounds; round++) {
        const tag = rounds > 1 ? ` (round ${round})` : '';
        const maybeProfiled = <T>(proc: ChildProcess, label: string, fn: () => Promise<T>) =>
          round === 1 ? profiled(proc, label, fn) : fn();
        runs.bare.push(
          await maybeProfiled(started[0], 'pipeline baseline: bare NestJS + express', () =>
            cannon(
              `pipeline baseline: bare NestJS + express, empty${tag}`,
              { url: `http://127.0.0.1:${barePort}/bench/empty` },
              undefined,
              { api: started[0].pid },
            ),
          ),
        );
        runs.pub.push(
          await cannon(
            `gateway empty, public, info logs${tag}`,
            { url: `http://127.0.0.1:${infoPort}/bench/empty` },
            undefined,
            { api: started[1].pid },
          ),
        );
        runs.authed.push(
          await maybeProfiled(started[1], 'gateway empty, JWT + rate limit + info logs', () =>
            cannon(
              `gateway empty, JWT + rate limit + info logs${tag}`,
              { url: `http://127.0.0.1:${infoPort}/bench/empty-auth`, headers: auth },
              undefined,
              { api: started[1].pid },
            ),
          ),
        );
        rows.push(runs.bare[round - 1], runs.pub[round - 1], runs.authed[round - 1]);
      }
      const sum = (rs: Row[]) => rs.reduce((a, r) => a + r.rps, 0);
      pipeline.rounds = rounds;
      pipeline.bareRps = Math.round(sum(runs.bare) / rounds);
      pipeline.publicVsBare = +(sum(runs.pub) / sum(runs.bare)).toFixed(3);
      pipeline.authedVsBare = +(sum(runs.authed) / sum(runs.bare)).toFixed(3);
      pipeline.authedVsBareWorstRound = +Math.min(
        ...runs.authed.map((r, i) => r.rps / runs.bare[i].rps),
      ).toFixed(3);
      for (const p of started) {
        p.kill('SIGTERM');
        await new Promise((r) => p.once('exit', r));
      }
    }

    // Sync sends (issue 11): every send to one chat (the same `chats` row each time) and spread over
    // 1,000 chats, at max and at a fixed 100 sends/s. While the max runs go, Postgres wait events of
    // the bench database are sampled (pg_stat_activity, every 20 ms) and, with BENCH_PROFILE, the
    // API process is CPU-profiled: what the time went to.
    const sendPath = `/api/instances/${instance.id}/messages`;
    const sendHeaders = { 'content-type': 'application/json', ...auth };
    const oneChat = JSON.stringify({ to: '4242', type: 'text', text: 'bench outbound' });
    let spreadN = 0;
    const spreadRequest = {
      method: 'POST' as const,
      path: sendPath,
      headers: sendHeaders,
      setupRequest: (req: autocannon.Request) => ({
        ...req,
        body: JSON.stringify({
          to: String(200_000 + (spreadN++ % 1000)),
          type: 'text',
          text: 'bench outbound',
        }),
      }),
    };
    const waits: Record<string, Record<string, number>> = {};
    const observed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
      const tally: Record<string, number> = {};
      let sampling = true;
      const sampling$ = (async () => {
        while (sampling) {
          const { rows: active } = await db.query(
            `SELECT CASE WHEN state = 'idle in transaction' THEN 'idle in transaction (app round trip)'
                         ELSE coalesce(wait_event_type || ':' || wait_event, 'running (CPU)') END AS w, count(*)::int AS n
               FROM pg_stat_activity
              WHERE datname = $1 AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')
              GROUP BY 1`,
            [dbName],
          );
          for (const r of active) tally[r.w] = (tally[r.w] ?? 0) + r.n;
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      try {
        return await profiled(child, label, fn);
      } finally {
        sampling = false;
        await sampling$;
        waits[label] = tally;
      }
    };
    if (want('send')) {
      rows.push(
        await observed('sync send, one chat', () =>
          cannon('POST /messages → fake Bot API, one chat, max', {
            url: `${BASE}${sendPath}`,
            method: 'POST',
            headers: sendHeaders,
            body: oneChat,
          }),
        ),
      );
      rows.push(
        await observed('sync send, 1,000 chats', () =>
          cannon('POST /messages → fake Bot API, 1,000 chats, max', { url: BASE, requests: [spreadRequest] }),
        ),
      );
      if (worker) {
        // the send path alone (provider call + store + enqueue), as the inbound rows measure ingest:
        // the worker paused, so the message_sent deliveries wait in Redis; then they drain
        worker.kill('SIGSTOP');
        rows.push(
          await cannon('POST /messages → fake Bot API, one chat, max, worker paused', {
            url: `${BASE}${sendPath}`,
            method: 'POST',
            headers: sendHeaders,
            body: oneChat,
          }),
        );
        worker.kill('SIGCONT');
        for (const until = Date.now() + 120_000; Date.now() < until;) {
          const [{ n }] = (
            await db.query("SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'pending'")
          ).rows;
          if (n === 0) break;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      rows.push(
        await paced('POST /messages, one chat @ 100/s', 100, () => ({
          path: sendPath,
          method: 'POST',
          headers: sendHeaders,
          body: oneChat,
        })),
      );
      rows.push(
        await paced('POST /messages, 1,000 chats @ 100/s', 100, () => ({
          path: sendPath,
          method: 'POST',
          headers: sendHeaders,
          body: JSON.stringify({
            to: String(200_000 + (spreadN++ % 1000)),
            type: 'text',
            text: 'bench outbound',
          }),
        })),
      );
      // what earlier runs called "@ 100/s": autocannon's overallRate, i.e. a burst of 100 every second
      rows.push(
        await cannon(
          'POST /messages, one chat, 100/s in per-second bursts',
          {
            url: `${BASE}${sendPath}`,
            method: 'POST',
            headers: sendHeaders,
            body: oneChat,
            overallRate: 100,
          },
          'autocannon overallRate',
        ),
      );
    }

    // Async broadcast (issue 11): BENCH_BROADCAST messages (default 10,000) to 1,000 chats through
    // POST …/messages/batch (100 per request), against the fake Bot API enforcing Telegram's flood
    // limits (30/s per bot, 1/s per chat: 429 + retry_after beyond them). Time to drain, the 429s
    // the gateway met vs passed on to clients (failed messages), messages lost or sent twice.
    let broadcast: Record<string, number> | null = null;
    if (want('broadcast')) {
      worker?.kill('SIGCONT');
      const total = Number(process.env.BENCH_BROADCAST ?? 10_000);
      const BC_BOT = '555444333:BROADCASTbroadcastBROADCASTbroad';
      tg.addBot(BC_BOT, { username: 'broadcast_bot' });
      const bc = await json(
        'POST',
        '/api/instances',
        {
          provider: 'telegram',
          name: 'broadcast',
          config: { botToken: BC_BOT },
          webhookUrl: receiverUrl,
          webhookSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
          maxRetries: 3,
          retryInterval: 1000,
        },
        auth,
      );
      tg.enforceFloodLimits();
      const floodBefore = tg.floodWaitsAnswered;
      const t0 = performance.now();
      let rejected = 0;
      for (let i = 0; i < total; i += 100) {
        const messages = Array.from({ length: Math.min(100, total - i) }, (_, k) => ({
          to: String(300_000 + ((i + k) % 1000)),
          type: 'text',
          text: `bc-${run}-${i + k}`,
        }));
        const res = await json('POST', `/api/instances/${bc.id}/messages/batch`, { messages }, auth);
        rejected += res.rejected.length;
      }
      const queuedSeconds = (performance.now() - t0) / 1000;
      const until = Date.now() + Number(process.env.BENCH_BROADCAST_TIMEOUT_S ?? 900) * 1000;
      let counts: Record<string, number> = {};
      while (Date.now() < until) {
        const { rows: byStatus } = await db.query(
          'SELECT status, count(*)::int AS n FROM messages WHERE instance_id = $1 GROUP BY status',
          [bc.id],
        );
        counts = Object.fromEntries(byStatus.map((r) => [r.status, r.n]));
        if (!counts.queued) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      const drainSeconds = (performance.now() - t0) / 1000;
      tg.stopFloodLimits();
      const calls = tg.calls('sendMessage').filter((c) => c.token === BC_BOT);
      const floodWaits = tg.floodWaitsAnswered - floodBefore;
      const texts = new Set(calls.map((c) => String(c.params.text)));
      const [{ n: rateLimitedFailures }] = (
        await db.query(
          `SELECT count(*)::int AS n FROM messages WHERE instance_id = $1 AND status = 'failed'
              AND error->>'code' = 'provider_rate_limited'`,
          [bc.id],
        )
      ).rows;
      const [{ n: distinctProviderIds }] = (
        await db.query(
          `SELECT count(DISTINCT provider_message_id)::int AS n FROM messages WHERE instance_id = $1 AND status = 'sent'`,
          [bc.id],
        )
      ).rows;
      broadcast = {
        messages: total,
        chats: Math.min(total, 1000),
        rejected,
        queuedSeconds: +queuedSeconds.toFixed(1),
        drainSeconds: +drainSeconds.toFixed(1),
        sentPerSecond: +((counts.sent ?? 0) / drainSeconds).toFixed(1),
        sent: counts.sent ?? 0,
        failed: counts.failed ?? 0,
        stillQueued: counts.queued ?? 0,
        provider429sSeen: floodWaits,
        provider429sPassedToClients: rateLimitedFailures,
        lost: total - (counts.sent ?? 0) - (counts.failed ?? 0),
        sentTwice: calls.length - floodWaits - texts.size,
        distinctProviderIds,
      };
    }

    let e2e: number[] = [];
    let total = 0;
    if (want('e2e')) {
      // end to end: inbound webhook → client webhook receipt, at 200 updates/s for DURATION_S
      await new Promise((r) => setTimeout(r, 3000)); // let the delivery backlog of the max runs drain
      const sentAt = new Map<string, number>();
      total = 200 * DURATION_S;
      const started = performance.now();
      const inflight: Promise<unknown>[] = [];
      for (let i = 0; i < total; i++) {
        const due = started + (i * 1000) / 200;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const text = `e2e-${run}-${i}`;
        sentAt.set(text, performance.now());
        inflight.push(
          request(`${BASE}${inboundPath}`, {
            method: 'POST',
            headers: inboundRequest.headers,
            body: inboundBody(text),
          }).then((r) => r.body.dump()),
        );
      }
      await Promise.all(inflight);
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && [...sentAt.keys()].some((k) => !arrivals.has(k)))
        await new Promise((r) => setTimeout(r, 100));
      e2e = [...sentAt]
        .filter(([k]) => arrivals.has(k))
        .map(([k, t0]) => arrivals.get(k)! - t0)
        .sort((a, b) => a - b);
    }
    const pct = (p: number) => e2e[Math.min(e2e.length - 1, Math.floor((p / 100) * e2e.length))] ?? NaN;

    let ceiling = NaN;
    let outageDrain: {
      outageSeconds: number;
      deliveries: number;
      expected: number;
      drainSeconds: number;
    } | null = null;
    if (want('outage')) {
      // the bare BullMQ ceiling (no database, no gateway), in this same run
      ceiling = await bullmqCeiling({
        redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        prefix: `sbbench-${run}-ceiling`,
        receiverUrl,
        jobs: 10_000,
        concurrency: 50,
      });

      // a receiver outage: the endpoint refuses connections for OUTAGE_S while 10,000 updates are
      // ingested; then it comes back and we time how long the gateway takes to deliver all of them
      await json('PUT', `/api/instances/${instance.id}`, { maxRetries: 12, retryInterval: 1000 }, auth);
      await new Promise<void>((r) => receiver.close(() => r()));
      receiver.closeAllConnections();
      const outageStarted = Date.now();
      const outageUpdates = 10_000;
      await cannon('telegram inbound during receiver outage (10,000 updates)', {
        url: BASE,
        amount: outageUpdates,
        requests: [
          {
            ...inboundRequest,
            setupRequest: (req: autocannon.Request) => ({ ...req, body: inboundBody(`outage-${updateId}`) }),
          },
        ],
      } as autocannon.Options);
      const rest = OUTAGE_S * 1000 - (Date.now() - outageStarted);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
      await new Promise<void>((r) => receiver.listen(receiverPort, '127.0.0.1', () => r()));
      const back = performance.now();
      const outageDeadline = Date.now() + 180_000;
      let outageDelivered = 0;
      while (Date.now() < outageDeadline) {
        [{ n: outageDelivered }] = (
          await db.query(
            `SELECT count(*)::int AS n FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
              WHERE d.status = 'succeeded' AND e.type = 'message_received' AND e.payload->>'text' LIKE 'outage-%'`,
          )
        ).rows;
        if (outageDelivered >= outageUpdates) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      outageDrain = {
        outageSeconds: OUTAGE_S,
        deliveries: outageDelivered,
        expected: outageUpdates,
        drainSeconds: +((performance.now() - back) / 1000).toFixed(1),
      };
    }

    clearInterval(sampler);
    const [{ n: stored }] = (await db.query("SELECT count(*)::int AS n FROM messages WHERE direction = 'in'"))
      .rows;
    await db.end();

    const insert = rows[1];
    const find = (part: string) => rows.find((r) => r.name.includes(part));
    const inbound = find('telegram inbound webhook (verify');
    const at500 = find('@ 500');
    const ratio = (r: Row | undefined, base: Row | undefined = insert) =>
      r && base ? +(r.rps / base.rps).toFixed(3) : null;
    console.log(
      `\nSwitchboard bench — ${new Date().toISOString()} — ${DURATION_S}s per run, 32 connections, node ${process.version}, topology ${topology}` +
        (ONLY.size ? `, only: ${[...ONLY].join(',')}` : ''),
    );
    console.table(
      rows.map((r) => ({
        run: r.name,
        'req/s': Math.round(r.rps),
        'p50 ms': r.p50,
        'p99 ms': r.p99,
        'non-2xx/err': r.non2xx,
        'vs insert baseline': `${((r.rps / insert.rps) * 100).toFixed(0)} %`,
      })),
    );
    // where each run's CPU went, µs per request by process (the machine has `nproc` cores)
    const roleNames = ['api', 'worker', 'postgres', 'redis', 'bench (load + fakes)', 'other', 'machine busy'];
    console.log(
      '\nCPU per request, µs, by process (machine busy = all cores; bench = autocannon + fake providers + receiver):',
    );
    console.table(
      rows
        .filter((r) => r.cpu)
        .map((r) => ({ run: r.name, ...Object.fromEntries(roleNames.map((k) => [k, r.cpu![k] ?? 0])) })),
    );
    const sendOne = find('one chat, max');
    const sendSpread = find('1,000 chats, max');
    const summary = {
      inboundPerSecond: inbound ? Math.round(inbound.rps) : null,
      inboundVsInsertBaseline: ratio(inbound),
      inboundP99At500Ms: at500?.p99 ?? null,
      whatsappInboundPerSecond: whatsappRow ? Math.round(whatsappRow.rps) : null,
      whatsappVsTelegram: ratio(whatsappRow ?? undefined, inbound),
      slackInboundPerSecond: slackRow ? Math.round(slackRow.rps) : null,
      slackVsTelegram: ratio(slackRow ?? undefined, inbound),
      deliveryDrain: drain,
      usageCounters: {
        onPerSecond: countersOn,
        offPerSecond: countersOff,
        costPercent: +(((countersOff - countersOn) / countersOff) * 100).toFixed(1),
      },
      pipeline,
      broadcast,
      syncSend: {
        oneChatPerSecond: sendOne ? Math.round(sendOne.rps) : null,
        oneChatVsInsertBaseline: ratio(sendOne),
        oneChatWorkerPausedVsInsertBaseline: ratio(find('one chat, max, worker paused')),
        spreadPerSecond: sendSpread ? Math.round(sendSpread.rps) : null,
        spreadVsInsertBaseline: ratio(sendSpread),
        p99At100OneChatMs: find('one chat @ 100/s')?.p99 ?? null,
        p99At100SpreadMs: find('1,000 chats @ 100/s')?.p99 ?? null,
        p99At100InBurstsOneChatMs: find('per-second bursts')?.p99 ?? null,
        waitEvents: waits,
      },
      bullmqCeilingPerSecond: Math.round(ceiling),
      deliveriesVsCeiling: drain ? +(drain.perSecond / ceiling).toFixed(3) : null,
      afterOutage: outageDrain,
      e2eAt200: {
        count: e2e.length,
        expected: total,
        p50Ms: +pct(50).toFixed(1),
        p99Ms: +pct(99).toFixed(1),
      },
      topology,
      nodeFlags: execArgv.join(' '),
      gatewayMaxRssMb: Math.round(maxRss),
      workerMaxRssMb: worker ? Math.round(maxWorkerRss) : null,
      inboundMessagesStored: stored,
      profiles,
    };
    if (drain) {
      console.log(
        `\nworker drained ${drain.deliveries} queued deliveries in ${drain.seconds} s: ${drain.perSecond} deliveries/s ` +
          `(signed, attempt recorded) = ${((drain.perSecond / ceiling) * 100).toFixed(0)} % of the bare BullMQ ceiling, ${Math.round(ceiling)} jobs/s`,
      );
    }
    if (want('inbound'))
      console.log(
        `usage counters: inbound ${countersOn}/s on vs ${countersOff}/s off → ${summary.usageCounters.costPercent} % (target < 5 %)`,
      );
    if (outageDrain)
      console.log(
        `after a ${OUTAGE_S} s receiver outage: ${outageDrain.deliveries}/${outageDrain.expected} deliveries done ` +
          `${outageDrain.drainSeconds} s after it came back (backoff cap ${MAX_RETRY_DELAY_MS} ms)`,
      );
    if (want('e2e'))
      console.log('end-to-end (inbound webhook → client webhook receipt) @ 200 updates/s:', summary.e2eAt200);
    console.log(
      `topology: ${topology} (node ${summary.nodeFlags}); max RSS: API/gateway ${summary.gatewayMaxRssMb} MB` +
        (worker ? `, worker ${summary.workerMaxRssMb} MB` : '') +
        `; inbound messages stored: ${stored}`,
    );
    if (want('pipeline'))
      console.log(
        `pipeline target: gateway empty endpoint (auth, rate limit, info logs, metrics) ≥ 60 % of bare NestJS → ` +
          `${((pipeline.authedVsBare ?? 0) * 100).toFixed(0)} % over ${pipeline.rounds} alternating rounds, worst round ` +
          `${((pipeline.authedVsBareWorstRound ?? 0) * 100).toFixed(0)} % (public, no auth: ${((pipeline.publicVsBare ?? 0) * 100).toFixed(0)} %)`,
      );
    if (want('send')) {
      const s = summary.syncSend;
      console.log(
        `sync send targets: ≥ 40 % of insert baseline → one chat ${((s.oneChatVsInsertBaseline ?? 0) * 100).toFixed(0)} %, ` +
          `1,000 chats ${((s.spreadVsInsertBaseline ?? 0) * 100).toFixed(0)} % (one chat with the worker paused: ` +
          `${((s.oneChatWorkerPausedVsInsertBaseline ?? 0) * 100).toFixed(0)} %); p99 @ 100/s < 250 ms → one chat ${s.p99At100OneChatMs} ms, ` +
          `1,000 chats ${s.p99At100SpreadMs} ms (evenly paced; as per-second bursts of 100: ${s.p99At100InBurstsOneChatMs} ms)`,
      );
      for (const [label, tally] of Object.entries(waits)) {
        const all = Object.values(tally).reduce((a, b) => a + b, 0) || 1;
        const top = Object.entries(tally)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 6)
          .map(([w, n]) => `${w} ${((n / all) * 100).toFixed(0)} %`);
        console.log(`postgres backends during "${label}": ${top.join(', ')}`);
      }
    }
    if (broadcast)
      console.log(
        `async broadcast: ${broadcast.messages} messages to ${broadcast.chats} chats queued in ${broadcast.queuedSeconds} s, ` +
          `drained in ${broadcast.drainSeconds} s (${broadcast.sentPerSecond}/s; Telegram allows 30/s per bot): sent ${broadcast.sent}, ` +
          `failed ${broadcast.failed}, still queued ${broadcast.stillQueued}; provider 429s seen ${broadcast.provider429sSeen}, ` +
          `passed to clients ${broadcast.provider429sPassedToClients}; lost ${broadcast.lost}, sent twice ${broadcast.sentTwice}`,
      );
    for (const [label, p] of Object.entries(profiles)) {
      console.log(`\nCPU profile of the API process during "${label}" (busy ${p.busyMs} ms), self time:`);
      console.table(p.buckets.map(([k, v]) => ({ where: k, '%': v })));
      console.table(p.functions.map(([k, v]) => ({ function: k, '%': v })));
    }
    if (inbound && at500)
      console.log(
        `targets: inbound ≥ 1000/s and ≥ 35 % of insert baseline → ${summary.inboundPerSecond}/s, ${((summary.inboundVsInsertBaseline ?? 0) * 100).toFixed(0)} %; ` +
          `WhatsApp inbound within 20 % of Telegram → ${((summary.whatsappVsTelegram ?? 0) * 100).toFixed(0)} %; ` +
          `Slack inbound within 20 % of Telegram → ${((summary.slackVsTelegram ?? 0) * 100).toFixed(0)} %; ` +
          `p99 @ 500/s < 100 ms → ${at500.p99} ms; e2e p50 @ 200/s < 30 ms → ${summary.e2eAt200.p50Ms} ms; RSS < 300 MB → ${summary.gatewayMaxRssMb} MB`,
      );
    mkdirSync(join(__dirname, '../../bench/results'), { recursive: true });
    writeFileSync(
      join(__dirname, '../../bench/results/latest.json'),
      JSON.stringify({ at: new Date().toISOString(), rows, summary }, null, 2),
    );
  } finally {
    clearInterval(sampler);
    for (const p of [child, worker]) {
      if (!p || p.exitCode !== null) continue;
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
    await tg.stop();
    await graph.stop();
    await slack.stop();
    receiver.close();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
  if (want('nats')) await runNats();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
