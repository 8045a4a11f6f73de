import Redis from 'ioredis';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { connectionLeaseName } from '../../src/modules/connections/connection-supervisor';
import { FakeDiscord } from '../fakes/fake-discord';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const ROOT = join(__dirname, '../..');
const TOKEN = 'MTMwMDAwMDAwMDAwMDAwMDAwNg.GfAkE6.discord-workers-token-ffffffffffffffff';
const BOT_ID = '1300000000000000666';
const PREFIX = `${process.env.REDIS_PREFIX}-discord-workers`;

/**
 * Two real worker processes (APP_ROLE=worker, the TypeScript sources) and an API-only app on one
 * database and Redis prefix: one Discord bot never has two Gateway connections, and when its owner
 * is SIGKILLed the other worker takes the bot over within 30 s (lease TTL 15 s + refresh).
 */
describe('Discord Gateway across worker processes (e2e)', () => {
  let t: TestApp;
  let discord: FakeDiscord;
  let alice: TestTenant;
  let redis: Redis;
  const workers: ChildProcess[] = [];
  /** Most Gateway sessions of the bot seen open at once (sampled every 50 ms). */
  let maxLive = 0;
  let sampler: NodeJS.Timeout;

  const live = () => discord.live().filter((c) => c.session!.token === TOKEN);
  const identifies = () =>
    discord.connections.filter((c) =>
      c.received.some((f) => f.op === 2 && (f.d as { token?: string }).token === TOKEN),
    );

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
          DISCORD_API_URL: discord.apiUrl,
          LOG_LEVEL: 'silent',
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    workers.push(child);
    return child;
  };

  beforeAll(async () => {
    discord = await FakeDiscord.start();
    discord.addBot(TOKEN, { id: BOT_ID, username: 'workerbot' });
    redis = new Redis(process.env.REDIS_URL!);
    t = await startTestApp({ DISCORD_API_URL: discord.apiUrl, REDIS_PREFIX: PREFIX }, 0, 'api'); // no in-process worker
    alice = await createTenant(t);
    sampler = setInterval(() => (maxLive = Math.max(maxLive, live().length)), 50);
  });

  afterAll(async () => {
    clearInterval(sampler);
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await t.close();
    await Promise.all([discord.stop(), redis.quit()]);
  });

  it('one Gateway connection for two workers; a killed owner is replaced within 30 s', async () => {
    const a = startWorker();
    const b = startWorker();
    const res = await alice
      .post('/api/instances')
      .send({ provider: 'discord', name: 'two workers', config: { botToken: TOKEN, clientId: BOT_ID } })
      .expect(201);
    const id = res.body.id as string;
    await eventually(async () => live().length === 1, 90_000, 'a worker connected the bot');
    await eventually(
      async () => (await alice.get(`/api/instances/${id}/status`).expect(200)).body.status === 'connected',
      10_000,
    );
    // both workers are up and polling their targets meanwhile: still one connection
    await new Promise((r) => setTimeout(r, 5000));
    expect(identifies()).toHaveLength(1);
    expect(maxLive).toBe(1);

    const holder = await redis.get(`${PREFIX}:lease:${connectionLeaseName(id)}`);
    const pid = Number(holder?.split('/')[1]);
    const owner = [a, b].find((w) => w.pid === pid);
    const other = [a, b].find((w) => w.pid !== pid)!;
    expect(owner).toBeDefined();
    owner!.kill('SIGKILL');
    const killedAt = Date.now();
    await eventually(async () => live().length === 0, 10_000, 'the killed owner’s socket closed');
    await eventually(async () => live().length === 1, 35_000, 'the other worker took the bot over');
    const tookMs = Date.now() - killedAt;
    expect(tookMs).toBeLessThan(30_000);
    const newHolder = await redis.get(`${PREFIX}:lease:${connectionLeaseName(id)}`);
    expect(Number(newHolder?.split('/')[1])).toBe(other.pid);
    expect(identifies()).toHaveLength(2); // the new owner identifies afresh (it has no session)
    expect(maxLive).toBe(1);
    console.log(`Discord Gateway takeover after SIGKILL of the owner: ${tookMs} ms`);
    await alice.del(`/api/instances/${id}`).expect(200);
  }, 150_000);
});
