import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Lease, RedisService } from '../../common/redis/redis.service';
import type { AppConfig } from '../../config/app-config';
import type { InstanceEntity } from '../instances-core/instance.entity';
import {
  ConnectionContext,
  ConnectionSource,
  ConnectionState,
  ConnectionStop,
  ProviderConnection,
} from '../providers/provider-seams';
import {
  connectionLeaseName,
  ConnectionHost,
  ConnectionSupervisor,
  ConnectionTimings,
  LeaseStore,
} from './connection-supervisor';

/*
 * The lease runtime against the real Redis (REDIS_URL, default 127.0.0.1:6379), with short TTLs
 * so that expiry and takeover take a second, not 15. Connections are test doubles of a provider:
 * they record when `run` starts and when their signal aborts.
 */

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TIMINGS: ConnectionTimings = {
  // renewals every fifth of the TTL: a loaded test machine may delay a timer by a few hundred ms
  leaseTtlMs: 1500,
  renewEveryMs: 300,
  refreshEveryMs: 100,
  reconnectBaseMs: 20,
  reconnectMaxMs: 200,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function eventually<T>(probe: () => T | Promise<T>, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** One `run` of a connection: which process ran it, when it started, when its signal aborted. */
interface Run {
  process: string;
  instanceId: string;
  startedAt: number;
  abortedAt?: number;
  settledAt?: number;
}

/** A provider double: every run is recorded; `behaviour` decides what a run does. */
class FakeSource implements ConnectionSource {
  readonly runs: Run[] = [];
  behaviour: (ctx: ConnectionContext, run: Run) => Promise<void> = (ctx) => untilAborted(ctx.signal);

  constructor(private readonly ids: () => string[]) {}

  async connectionTargets(): Promise<string[]> {
    return this.ids();
  }

  /** Runs are attributed to a process through the instance object each supervisor was given. */
  openConnection(instance: InstanceEntity): ProviderConnection {
    return {
      run: async (ctx) => {
        const run: Run = {
          process: (instance as InstanceEntity & { process: string }).process,
          instanceId: instance.id,
          startedAt: Date.now(),
        };
        this.runs.push(run);
        ctx.signal.addEventListener('abort', () => (run.abortedAt = Date.now()), { once: true });
        try {
          await this.behaviour(ctx, run);
        } finally {
          run.settledAt = Date.now();
        }
      },
    };
  }

  runsOf(processName: string, instanceId?: string): Run[] {
    return this.runs.filter((r) => r.process === processName && (!instanceId || r.instanceId === instanceId));
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * RedisService's lease primitives, with a switch that makes this process unable to reach Redis
 * (like a network partition or a frozen owner): calls then reject after 2 s, as RedisService's
 * bounded commands do, and nothing is renewed or released.
 */
class SwitchableLeases implements LeaseStore {
  frozen = false;
  constructor(private readonly redis: RedisService) {}
  get owner(): string {
    return this.redis.owner;
  }
  acquireLease(name: string, owner: string, ttlMs: number) {
    return this.frozen ? unreachable<never>() : this.redis.acquireLease(name, owner, ttlMs);
  }
  renewLease(lease: Lease, ttlMs: number) {
    return this.frozen ? unreachable<boolean>() : this.redis.renewLease(lease, ttlMs);
  }
  releaseLease(lease: Lease) {
    return this.frozen ? unreachable<boolean>() : this.redis.releaseLease(lease);
  }
}

function unreachable<T>(): Promise<T> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error('lease command timed out')), 2000));
}

const silent = new Logger('test');
silent.log = () => undefined;
silent.warn = () => undefined;
silent.error = () => undefined;

describe('ConnectionSupervisor (real Redis)', () => {
  const prefix = `sbunit-conn-${randomUUID().slice(0, 8)}`;
  const config = { redis: { url: REDIS_URL, prefix } } as AppConfig;
  let raw: Redis;
  const started: { supervisor: ConnectionSupervisor; redis: RedisService }[] = [];

  /** A "process": its own Redis client (own owner id), supervisor and log of reports. */
  function process_(name: string, source: FakeSource, ids: () => string[], logger = silent) {
    const redis = new RedisService(config);
    const leases = new SwitchableLeases(redis);
    const reports: { instanceId: string; state: ConnectionState }[] = [];
    const shown = new Map<string, number>();
    const host: ConnectionHost = {
      // as ConnectionRuntime: an instance whose status waits for the user is no target
      targets: async () => {
        const wanted = new Set(await source.connectionTargets());
        const waitsForUser = new Set(
          reports
            .filter((r) => r.state.state === 'needs_reauth' || r.state.state === 'disconnected')
            .filter((r) => !('willReconnect' in r.state) || !r.state.willReconnect)
            .map((r) => r.instanceId),
        );
        return ids()
          .filter((id) => wanted.has(id) && !waitsForUser.has(id))
          .map((id) => ({
            instance: { id, provider: 'fake', process: name } as unknown as InstanceEntity,
            source,
          }));
      },
      report: async (instance, state) => {
        reports.push({ instanceId: instance.id, state });
      },
      ingest: async () => undefined,
      transition: (_provider, from, to) => {
        if (from) shown.set(from, (shown.get(from) ?? 0) - 1);
        if (to) shown.set(to, (shown.get(to) ?? 0) + 1);
      },
    };
    const supervisor = new ConnectionSupervisor(leases, host, TIMINGS, logger);
    started.push({ supervisor, redis });
    return { name, supervisor, leases, redis, reports, shown };
  }

  const leaseKey = (id: string) => `${prefix}:lease:${connectionLeaseName(id)}`;

  beforeAll(() => {
    raw = new Redis(REDIS_URL);
  });

  afterEach(async () => {
    for (const { supervisor, redis } of started.splice(0)) {
      await supervisor.stop();
      await redis.onApplicationShutdown();
    }
  });

  afterAll(async () => {
    const keys = await raw.keys(`${prefix}:*`);
    if (keys.length) await raw.del(...keys);
    await raw.quit();
  });

  it('two processes racing for the same instances: exactly one runs each, the loser never calls run', async () => {
    const ids = Array.from({ length: 8 }, () => randomUUID());
    const source = new FakeSource(() => ids);
    const a = process_('a', source, () => ids);
    const b = process_('b', source, () => ids);
    await Promise.all([a.supervisor.refresh(), b.supervisor.refresh()]);
    a.supervisor.start();
    b.supervisor.start();
    await sleep(3 * TIMINGS.leaseTtlMs); // several renewals and refreshes by both

    for (const id of ids) {
      const runners = new Set(source.runs.filter((r) => r.instanceId === id).map((r) => r.process));
      expect(runners.size).toBe(1);
      expect(source.runs.filter((r) => r.instanceId === id)).toHaveLength(1); // never restarted
      const owner = [...runners][0] === 'a' ? a : b;
      expect(await raw.get(leaseKey(id))).toMatch(new RegExp(`^${escape(owner.redis.owner)}#\\d+$`));
    }
    expect([...a.supervisor.active, ...b.supervisor.active].sort()).toEqual([...ids].sort());
    expect(a.supervisor.active.filter((id) => b.supervisor.active.includes(id))).toEqual([]);
    // each loser's runs: none of the instances the other one holds
    for (const id of a.supervisor.active) expect(source.runsOf('b', id)).toEqual([]);
    for (const id of b.supervisor.active) expect(source.runsOf('a', id)).toEqual([]);
  });

  it('a killed owner (no renewals, no release): it stops before its lease expires, the other takes over within the TTL', async () => {
    const id = randomUUID();
    const source = new FakeSource(() => [id]);
    const a = process_('a', source, () => [id]);
    a.supervisor.start();
    await eventually(() => a.supervisor.active.includes(id), 2000, 'a to run the instance');
    const b = process_('b', source, () => [id]);
    b.supervisor.start();
    await sleep(2 * TIMINGS.renewEveryMs);
    expect(source.runsOf('b')).toEqual([]); // b waits while a renews

    const killedAt = Date.now();
    a.leases.frozen = true; // a can no longer renew (nor release)
    const taken = await eventually(() => source.runsOf('b', id)[0], 30_000, 'b to take over');
    const [first] = source.runsOf('a', id);
    // a stopped (signal aborted, run settled) before b started: never two runs at once
    expect(first.abortedAt).toBeDefined();
    expect(first.abortedAt!).toBeLessThan(taken.startedAt);
    expect(first.settledAt!).toBeLessThanOrEqual(taken.startedAt);
    // and it did so before the lease could have expired (TTL from its last renewal)
    expect(first.abortedAt! - killedAt).toBeLessThan(TIMINGS.leaseTtlMs);
    // the takeover waited for the TTL and no longer than TTL + a refresh (+ scheduling slack)
    expect(taken.startedAt - killedAt).toBeLessThan(TIMINGS.leaseTtlMs + TIMINGS.refreshEveryMs + 500);
    expect(await raw.get(leaseKey(id))).toContain(b.redis.owner);
    a.leases.frozen = false;
  }, 40_000);

  it('a process whose lease was taken stops its connection at the next renewal and waits, without releasing the new holder’s lease', async () => {
    const id = randomUUID();
    const source = new FakeSource(() => [id]);
    const logs: Record<string, unknown>[] = [];
    const logger = new Logger('test');
    logger.log = (obj: unknown) => void logs.push(obj as Record<string, unknown>);
    logger.warn = (obj: unknown) => void logs.push(obj as Record<string, unknown>);
    const a = process_('a', source, () => [id], logger);
    a.supervisor.start();
    await eventually(() => a.supervisor.active.includes(id), 2000, 'a to run the instance');
    const ours = (await raw.get(leaseKey(id)))!;

    const stolenAt = Date.now();
    await raw.set(leaseKey(id), 'elsewhere/1/00000000#999999', 'PX', 2000);
    await eventually(() => !a.supervisor.active.includes(id), 3000, 'a to stop');
    const [run] = source.runsOf('a', id);
    expect(run.abortedAt! - stolenAt).toBeLessThanOrEqual(TIMINGS.renewEveryMs + 200);
    expect(await raw.get(leaseKey(id))).toBe('elsewhere/1/00000000#999999'); // not released: not ours
    await eventually(
      () => logs.find((l) => l.holder === 'elsewhere/1/00000000' && l.instanceId === id),
      2000,
      'a to log whom it waits for',
    );
    expect(source.runsOf('a', id)).toHaveLength(1); // no run while the other holds it

    // once the other holder's lease expires, a takes over with a larger fencing number
    await eventually(() => source.runsOf('a', id).length === 2, 5000, 'a to take over again');
    const token = (await raw.get(leaseKey(id)))!;
    expect(Number(token.split('#').pop())).toBeGreaterThan(Number(ours.split('#').pop()));
    expect(logs).toContainEqual(
      expect.objectContaining({ instanceId: id, previousHolder: 'elsewhere/1/00000000' }),
    );
  }, 20_000);

  it('reconnects a failing connection with backoff, resets after connected, stops for good on ConnectionStop', async () => {
    const id = randomUUID();
    const source = new FakeSource(() => [id]);
    let attempt = 0;
    source.behaviour = async (ctx) => {
      attempt += 1;
      if (attempt <= 2) throw new Error(`provider unreachable #${attempt}`);
      if (attempt === 3) {
        ctx.report({ state: 'connected', account: { mode: 'test' } });
        throw new Error('socket closed');
      }
      throw new ConnectionStop('logged out on the phone', 'needs_reauth');
    };
    const a = process_('a', source, () => [id]);
    a.supervisor.start();
    await eventually(() => a.reports.some((r) => r.state.state === 'needs_reauth'), 5000, 'the stop');
    await eventually(() => !a.supervisor.active.includes(id), 2000, 'the slot to end');
    expect(a.reports.map((r) => r.state)).toEqual([
      { state: 'disconnected', reason: 'provider unreachable #1', willReconnect: true },
      { state: 'disconnected', reason: 'provider unreachable #2', willReconnect: true },
      { state: 'connected', account: { mode: 'test' } },
      { state: 'disconnected', reason: 'socket closed', willReconnect: true },
      { state: 'needs_reauth', reason: 'logged out on the phone' },
    ]);
    expect(await raw.exists(leaseKey(id))).toBe(0); // released
    // gaps between runs: the backoff (≤ base × 2^(n-1), capped), never a tight loop of 4 starts in 0 ms
    const starts = source.runsOf('a', id).map((r) => r.startedAt);
    expect(starts).toHaveLength(4);
    expect(a.shown.get('connecting') ?? 0).toBe(0); // the metric states add up to nothing running
    expect([...a.shown.values()].every((n) => n === 0)).toBe(true);
  });

  it('stops the connection of an instance no longer targeted and releases its lease', async () => {
    const id = randomUUID();
    let ids = [id];
    const source = new FakeSource(() => ids);
    const a = process_('a', source, () => ids);
    a.supervisor.start();
    await eventually(() => a.supervisor.active.includes(id), 2000, 'a to run the instance');
    ids = []; // deleted, logged out
    await eventually(() => !a.supervisor.active.includes(id), 2000, 'a to stop it');
    expect(source.runsOf('a', id)[0].abortedAt).toBeDefined();
    expect(await raw.exists(leaseKey(id))).toBe(0);
    expect(a.reports).toEqual([]); // stopping on purpose changes no status
  });

  it('stop() (shutdown) aborts, waits for run to settle, releases; a restarted process picks up at once', async () => {
    const ids = [randomUUID(), randomUUID()];
    const source = new FakeSource(() => ids);
    source.behaviour = async (ctx) => {
      await untilAborted(ctx.signal);
      await sleep(150); // finishing the batch being stored
    };
    const a = process_('a', source, () => ids);
    a.supervisor.start();
    await eventually(() => a.supervisor.active.length === 2, 2000, 'a to run both');
    expect(await a.supervisor.stop()).toBe(2);
    for (const run of source.runsOf('a')) expect(run.settledAt).toBeDefined();
    for (const id of ids) expect(await raw.exists(leaseKey(id))).toBe(0);

    const restartedAt = Date.now();
    const b = process_('b', source, () => ids);
    b.supervisor.start();
    await eventually(() => b.supervisor.active.length === 2, 2000, 'the restarted process to run both');
    expect(Date.now() - restartedAt).toBeLessThan(TIMINGS.leaseTtlMs); // no wait for an expiry
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
