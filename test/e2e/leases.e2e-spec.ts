import Redis from 'ioredis';
import { Lease, RedisService } from '../../src/common/redis/redis.service';
import { AppConfig } from '../../src/config/app-config';
import { ConnectionRuntime } from '../../src/modules/connections/connection-runtime.service';
import { connectionLeaseName } from '../../src/modules/connections/connection-supervisor';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { TcpProxy } from '../fakes/tcp-proxy';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Redis leases (RedisService) against the real Redis, and the Telegram poller (connection runtime) holding one. */
describe('leases (e2e)', () => {
  describe('RedisService lease primitives', () => {
    const prefix = `${process.env.REDIS_PREFIX}-leases`;
    let a: RedisService;
    let b: RedisService;
    let raw: Redis;

    beforeAll(() => {
      const config = { redis: { url: process.env.REDIS_URL!, prefix } } as AppConfig;
      a = new RedisService(config);
      b = new RedisService(config);
      raw = new Redis(process.env.REDIS_URL!);
    });

    afterAll(async () => {
      await Promise.all([a.onApplicationShutdown(), b.onApplicationShutdown(), raw.quit()]);
    });

    it('gives a held lease to nobody else, and says who holds it for how long', async () => {
      const first = await a.acquireLease('one', a.owner, 5000);
      if (!first.acquired) throw new Error('the free lease was not acquired');
      expect(first.lease.token).toBe(`${a.owner}#${first.lease.fence}`);
      expect(await raw.get(`${prefix}:lease:one`)).toBe(first.lease.token);

      const second = await b.acquireLease('one', b.owner, 5000);
      expect(second).toEqual({ acquired: false, holder: a.owner, expiresInMs: expect.any(Number) });
      expect((second as { expiresInMs: number }).expiresInMs).toBeLessThanOrEqual(5000);
      // not re-entrant either: the same owner gets a lease once
      expect((await a.acquireLease('one', a.owner, 5000)).acquired).toBe(false);

      expect(await a.renewLease(first.lease, 8000)).toBe(true);
      expect(await raw.pttl(`${prefix}:lease:one`)).toBeGreaterThan(5000);
      expect(await a.releaseLease(first.lease)).toBe(true);
      expect(await raw.exists(`${prefix}:lease:one`)).toBe(0);
    });

    it('never renews or releases a lease that expired and went to someone else', async () => {
      const first = await a.acquireLease('two', a.owner, 150);
      if (!first.acquired) throw new Error('the free lease was not acquired');
      await sleep(300);
      const taken = await b.acquireLease('two', b.owner, 5000);
      if (!taken.acquired) throw new Error('the expired lease was not taken over');
      expect(taken.lease.fence).toBeGreaterThan(first.lease.fence);

      expect(await a.renewLease(first.lease, 5000)).toBe(false);
      expect(await a.releaseLease(first.lease)).toBe(false);
      expect(await raw.get(`${prefix}:lease:two`)).toBe(taken.lease.token);
      // the same owner after a loss: an old token of its own does not match a new acquisition
      await b.releaseLease(taken.lease);
      const again = await a.acquireLease('two', a.owner, 5000);
      if (!again.acquired) throw new Error('the released lease was not acquired');
      expect(await a.releaseLease(first.lease)).toBe(false);
      expect(await a.releaseLease(again.lease)).toBe(true);
    });

    it('holdLease renews while the lease is ours and acquires again once it is not', async () => {
      let held: Lease | null = await a.holdLease('three', a.owner, 5000, null);
      expect(held).not.toBeNull();
      const token = held!.token;
      held = await a.holdLease('three', a.owner, 5000, held);
      expect(held!.token).toBe(token);
      expect(await b.holdLease('three', b.owner, 5000, null)).toBeNull();
      await raw.del(`${prefix}:lease:three`);
      held = await a.holdLease('three', a.owner, 5000, held);
      expect(held!.token).not.toBe(token);
    });
  });

  describe('the Telegram poller’s lease', () => {
    const BOT = '330402765:JJHdqTcvCH1vGWJxfSeofSAs0K5PALDlease';
    const prefix = `${process.env.REDIS_PREFIX}-poll-lease`;
    let t: TestApp;
    let tg: FakeTelegramApi;
    let proxy: TcpProxy;
    let raw: Redis;
    let poller: ConnectionRuntime;
    let alice: TestTenant;
    let instanceId: string;
    const key = () => `${prefix}:lease:${connectionLeaseName(instanceId)}`;

    beforeAll(async () => {
      tg = await FakeTelegramApi.start();
      tg.addBot(BOT);
      const rd = new URL(process.env.REDIS_URL!);
      proxy = await TcpProxy.start({ host: rd.hostname, port: Number(rd.port || 6379) });
      raw = new Redis(process.env.REDIS_URL!);
      t = await startTestApp({
        TELEGRAM_API_ROOT: tg.apiRoot,
        PUBLIC_BASE_URL: undefined,
        REDIS_URL: proxy.url,
        REDIS_PREFIX: prefix,
      });
      poller = t.app.get(ConnectionRuntime);
      alice = await createTenant(t);
      const res = await alice
        .post('/api/instances')
        .send({ provider: 'telegram', name: 'lease', config: { botToken: BOT } })
        .expect(201);
      instanceId = res.body.id;
      await eventually(async () => poller.active.includes(instanceId), 10_000, 'the bot to be polled');
    });

    afterAll(async () => {
      proxy.restore();
      await alice.del(`/api/instances/${instanceId}`);
      await t.close();
      await Promise.all([tg.stop(), proxy.stop(), raw.quit()]);
    });

    it('stops polling when its lease is taken by another owner, and takes it again once free', async () => {
      const ours = await raw.get(key());
      expect(ours).toContain(t.app.get(RedisService).owner);
      await raw.set(key(), 'elsewhere/1/00000000#1', 'PX', 8000);
      // the next renewal (every 5 s) finds the token changed
      await eventually(async () => !poller.active.includes(instanceId), 10_000, 'the poller to stop');
      expect(await raw.get(key())).toBe('elsewhere/1/00000000#1'); // not released: it is not ours
      await eventually(async () => poller.active.includes(instanceId), 15_000, 'the poller to take over');
      const token = await raw.get(key());
      expect(token).toContain(t.app.get(RedisService).owner);
      expect(token).not.toBe(ours);
    }, 30_000);

    it('stops polling before its lease can expire when Redis does not answer, and resumes after', async () => {
      const calls = () => tg.calls('getUpdates').filter((c) => c.token === BOT).length;
      await eventually(async () => poller.active.includes(instanceId), 15_000, 'the bot to be polled');
      proxy.cut();
      // renewals fail; the poller gives up while its last renewal still holds (< 15 s)
      await eventually(async () => !poller.active.includes(instanceId), 20_000, 'the poller to stop');
      const stoppedAt = calls();
      await sleep(1500);
      expect(calls()).toBe(stoppedAt);
      proxy.restore();
      await eventually(async () => poller.active.includes(instanceId), 25_000, 'polling to resume');
      await eventually(async () => calls() > stoppedAt, 5_000, 'getUpdates again');
    }, 60_000);
  });
});
