import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lease, LeaseAttempt } from '../../common/redis/redis.service';
import type { InstanceEntity } from '../instances-core/instance.entity';
import {
  ConnectionContext,
  ConnectionSource,
  ConnectionState,
  ConnectionStop,
  InboundItem,
} from '../providers/provider-seams';
import { reconnectDelayMs } from './backoff';

/** All in ms. See AppConfig.connections (CONNECTION_LEASE_TTL_MS, CONNECTION_RECONNECT_*). */
export interface ConnectionTimings {
  /** TTL of a connection's lease (≤ 15 s in production). */
  leaseTtlMs: number;
  /** How often the owner renews it (a third of the TTL: two renewals may fail before it gives up). */
  renewEveryMs: number;
  /** How often the targets are re-read and free leases tried. */
  refreshEveryMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
}

/** The lease primitives of RedisService (fenced, compare-and-set renew and release). */
export interface LeaseStore {
  /** This process in lease values and logs: `<hostname>/<pid>/<random>`. */
  readonly owner: string;
  acquireLease(name: string, owner: string, ttlMs: number): Promise<LeaseAttempt>;
  renewLease(lease: Lease, ttlMs: number): Promise<boolean>;
  releaseLease(lease: Lease): Promise<boolean>;
}

/** An instance that wants a long-lived connection now, and the adapter that opens it. */
export interface ConnectionTarget {
  instance: InstanceEntity;
  source: ConnectionSource;
}

/** What the supervisor needs from the rest of the gateway (ConnectionRuntime wires the real ones). */
export interface ConnectionHost {
  /** Instances to run now; read every `refreshEveryMs`. An instance missing from the list is stopped. */
  targets(): Promise<ConnectionTarget[]>;
  /** Persists a state a connection reported (status, events, activity log). Called in order per connection. */
  report(instance: InstanceEntity, state: ConnectionState): Promise<void>;
  /** Stores items durably, in order; resolves after commit. */
  ingest(items: InboundItem[]): Promise<void>;
  /** The state this process shows for a connection changed (`null`: not running here); for metrics. */
  transition?(provider: string, from: string | null, to: string | null): void;
}

/** Redis lease name of an instance's long-lived connection (one owner per instance, any provider). */
export const connectionLeaseName = (instanceId: string) => `connection:${instanceId}`;

/** Longest statusReason kept from an error message. */
const REASON_MAX = 500;

interface Slot {
  instance: InstanceEntity;
  abort: AbortController;
  /** The state shown in metrics. */
  state: string;
  /** Settles once the connection has stopped, its reports are stored and its lease is released. */
  done: Promise<void>;
}

/**
 * Runs each target's `ProviderConnection` in this process while it holds the instance's Redis
 * lease, so that exactly one process runs it (DESIGN.md §4, long-lived connections):
 *
 * - Every `refreshEveryMs` the targets are re-read; a free lease is taken (fenced token, TTL
 *   `leaseTtlMs`); a lease another process holds is waited for, logged once per holder (who,
 *   how long it has left) and again when taken over (after how long). Connections of instances
 *   no longer targeted (deleted, logged out, needing new credentials) are stopped.
 * - The owner renews every `renewEveryMs`. When a renewal finds the token changed (lease lost),
 *   or when no renewal has succeeded by `leaseTtlMs / 5` before the lease would expire (Redis
 *   unreachable, renewals hanging), `ctx.signal` is aborted — before the TTL runs out, so before
 *   another process can acquire it.
 * - `run` rejecting: reported as `disconnected {willReconnect: true}`, restarted after a capped
 *   exponential delay with full jitter; the attempt count resets once the connection reports
 *   `connected`. A `ConnectionStop` is reported with its status and not restarted; once that
 *   status is stored, the instance starts again as soon as a user targets it again (POST
 *   …/reconnect); if it could not be stored, it stays parked while targeted (≤ `reconnectMaxMs`). `run`
 *   resolving without an abort counts as a failure ("ended by itself").
 * - Reports after the abort are dropped: a connection stopped by a lost lease or a shutdown does
 *   not change the instance's status (the next owner reports its own).
 * - `stop()` (shutdown) aborts every connection, waits for `run` to settle and the reports to be
 *   stored, then releases the leases, so a restarted process takes over at once.
 */
export class ConnectionSupervisor {
  private readonly slots = new Map<string, Slot>();
  /** Instances whose lease another process holds: since when this process waits, and for whom. */
  private readonly waiting = new Map<string, { since: number; holder: string }>();
  /** When each connection last ended here: a target list read before that is stale for it. */
  private readonly ended = new Map<string, number>();
  /**
   * Instances whose connection threw ConnectionStop and whose status could not be stored: not
   * restarted while they stay targeted, until the given time (epoch ms; reconnectMaxMs later).
   */
  private readonly parked = new Map<string, number>();
  private refreshing: Promise<void> | null = null;
  private timer?: NodeJS.Timeout;
  private stopping = false;

  constructor(
    private readonly leases: LeaseStore,
    private readonly host: ConnectionHost,
    private readonly timings: ConnectionTimings,
    private readonly logger = new Logger('ConnectionRuntime'),
    private readonly random: () => number = Math.random,
  ) {}

  /** Starts the refresh loop (first refresh at once). */
  start(): void {
    const tick = () => {
      if (this.stopping) return;
      this.refreshing ??= this.refresh()
        .catch((err) =>
          this.logger.warn({ err: (err as Error).message }, 'connection targets refresh failed'),
        )
        .finally(() => (this.refreshing = null));
    };
    tick();
    this.timer = setInterval(tick, this.timings.refreshEveryMs);
    this.timer.unref();
  }

  /**
   * Stops every connection of this process and releases their leases.
   * @returns how many connections were running.
   */
  async stop(): Promise<number> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.refreshing;
    const slots = [...this.slots.values()];
    for (const slot of slots) slot.abort.abort(new Error('the process is shutting down'));
    await Promise.all(slots.map((slot) => slot.done));
    return slots.length;
  }

  /** Instance ids whose connection runs in this process now. */
  get active(): string[] {
    return [...this.slots.keys()];
  }

  /** One pass: stop what is no longer wanted, take free leases of the rest. */
  async refresh(): Promise<void> {
    const readAt = Date.now();
    const targets = await this.host.targets();
    const wanted = new Set(targets.map((t) => t.instance.id));
    for (const [id, slot] of this.slots)
      if (!wanted.has(id)) slot.abort.abort(new Error('the instance no longer wants a connection'));
    for (const id of this.waiting.keys()) if (!wanted.has(id)) this.waiting.delete(id);
    for (const [id, at] of this.ended) if (at < readAt) this.ended.delete(id);
    for (const [id, until] of this.parked) if (!wanted.has(id) || until <= readAt) this.parked.delete(id);
    for (const target of targets) {
      if (this.stopping) return;
      const { id, provider } = target.instance;
      if (this.slots.has(id) || this.ended.has(id) || this.parked.has(id)) continue;
      const askedAt = Date.now();
      const attempt = await this.leases.acquireLease(
        connectionLeaseName(id),
        this.leases.owner,
        this.timings.leaseTtlMs,
      );
      if (!attempt.acquired) {
        this.noteWaiting(target.instance, attempt.holder, attempt.expiresInMs);
        continue;
      }
      if (this.stopping) {
        await this.leases.releaseLease(attempt.lease);
        return;
      }
      this.noteAcquired(id, provider);
      this.launch(target, attempt.lease, askedAt + this.timings.leaseTtlMs);
    }
  }

  /** Logs once per holder that this process waits for an instance's lease. */
  private noteWaiting(instance: InstanceEntity, holder: string, expiresInMs: number): void {
    const now = Date.now();
    const waited = this.waiting.get(instance.id);
    if (waited?.holder === holder) return;
    this.waiting.set(instance.id, { since: waited?.since ?? now, holder });
    this.logger.log(
      {
        instanceId: instance.id,
        provider: instance.provider,
        holder,
        expiresInMs,
        waitingMs: waited ? now - waited.since : 0,
      },
      `the ${instance.provider} connection of instance ${instance.id} is leased to ${holder}, expiring in ` +
        `${seconds(expiresInMs)} s unless renewed; waiting to take over`,
    );
  }

  private noteAcquired(instanceId: string, provider: string): void {
    const waited = this.waiting.get(instanceId);
    if (!waited) return;
    this.waiting.delete(instanceId);
    const waitedMs = Date.now() - waited.since;
    this.logger.log(
      { instanceId, provider, previousHolder: waited.holder, waitedMs },
      `took over the ${provider} connection of instance ${instanceId} after waiting ${seconds(waitedMs)} s`,
    );
  }

  /** Runs a target under `lease` (valid until `validUntil`, epoch ms), keeping the lease until it ends. */
  private launch(target: ConnectionTarget, lease: Lease, validUntil: number): void {
    const { id: instanceId, provider } = target.instance;
    const abort = new AbortController();
    const slot: Slot = { instance: target.instance, abort, state: 'connecting', done: Promise.resolve() };
    this.slots.set(instanceId, slot);
    this.host.transition?.(provider, null, slot.state);
    const keeper = this.keepLease(target.instance, lease, validUntil, abort);
    slot.done = this.supervise(slot, target)
      .catch((err) =>
        this.logger.error(
          { instanceId, provider, err: (err as Error).message },
          'connection supervision failed',
        ),
      )
      .finally(async () => {
        keeper.stop();
        await this.leases
          .releaseLease(lease)
          .catch((err) =>
            this.logger.warn(
              { instanceId, provider, err: (err as Error).message },
              `could not release the lease of the ${provider} connection; it expires by itself`,
            ),
          );
        this.host.transition?.(provider, slot.state, null);
        this.ended.set(instanceId, Date.now());
        // only now: a refresh in between would find this process's own lease and wait for it
        this.slots.delete(instanceId);
      });
    this.logger.log(
      { instanceId, provider, fence: lease.fence },
      `running the ${provider} connection of instance ${instanceId}`,
    );
  }

  /**
   * Renews `lease` every `renewEveryMs`; aborts when it was lost, or when no renewal succeeded
   * in time to be sure it has not expired (deadline: validUntil − leaseTtlMs / 5).
   */
  private keepLease(
    instance: InstanceEntity,
    lease: Lease,
    validUntil: number,
    abort: AbortController,
  ): { stop(): void } {
    const { leaseTtlMs, renewEveryMs } = this.timings;
    const margin = Math.floor(leaseTtlMs / 5);
    const ctx = { instanceId: instance.id, provider: instance.provider };
    let deadline: NodeJS.Timeout | undefined;
    let renewing = false;
    const arm = (until: number) => {
      if (deadline) clearTimeout(deadline);
      deadline = setTimeout(
        () => {
          if (abort.signal.aborted) return;
          this.logger.warn(
            { ...ctx, lease: lease.token },
            `cannot renew the lease of the ${instance.provider} connection before it expires; stopping it`,
          );
          abort.abort(new Error('the lease could not be renewed in time'));
        },
        Math.max(0, until - margin - Date.now()),
      );
      deadline.unref();
    };
    const renew = async () => {
      if (abort.signal.aborted || renewing) return;
      renewing = true;
      const sentAt = Date.now();
      try {
        if (await this.leases.renewLease(lease, leaseTtlMs)) {
          if (!abort.signal.aborted) arm(sentAt + leaseTtlMs);
          return;
        }
        if (abort.signal.aborted) return;
        this.logger.warn(
          { ...ctx, lease: lease.token },
          `the lease of the ${instance.provider} connection was lost; stopping it`,
        );
        abort.abort(new Error('the lease was lost'));
      } catch (err) {
        // the deadline decides; a later renewal may still succeed in time
        this.logger.warn({ ...ctx, err: (err as Error).message }, 'lease renewal failed');
      } finally {
        renewing = false;
      }
    };
    arm(validUntil);
    const interval = setInterval(() => void renew(), renewEveryMs);
    interval.unref();
    return {
      stop: () => {
        clearInterval(interval);
        if (deadline) clearTimeout(deadline);
      },
    };
  }

  /** Runs, restarts with backoff, and stops the connection of one instance; resolves once all its reports are stored. */
  private async supervise(slot: Slot, target: ConnectionTarget): Promise<void> {
    const { instance, source } = target;
    const { signal } = slot.abort;
    const log = { instanceId: instance.id, provider: instance.provider };
    let failures = 0;
    let reports = Promise.resolve();
    /** Stores `state` after the earlier reports; resolves whether it was stored. */
    const report = (state: ConnectionState): Promise<boolean> => {
      if (signal.aborted) return Promise.resolve(false);
      if (state.state === 'connected') failures = 0;
      this.show(slot, state.state);
      const stored = reports
        .then(() => this.host.report(instance, state))
        .then(
          () => true,
          (err) => {
            this.logger.warn(
              { ...log, state: state.state, err: (err as Error).message },
              'status update failed',
            );
            return false;
          },
        );
      reports = stored.then(() => undefined);
      return stored;
    };
    const ctx: ConnectionContext = {
      instance,
      signal,
      report,
      ingest: (items) => this.host.ingest(items),
    };
    try {
      while (!signal.aborted) {
        let failure: unknown;
        this.show(slot, 'connecting');
        try {
          await source.openConnection(instance).run(ctx);
          if (signal.aborted) break;
          failure = new Error('the connection ended by itself');
        } catch (err) {
          if (signal.aborted) break;
          if (err instanceof ConnectionStop) {
            this.logger.warn(
              { ...log, status: err.status, reason: err.reason },
              `the ${instance.provider} connection of instance ${instance.id} stopped: ${err.reason}`,
            );
            const stored = await report(
              err.status === 'disconnected'
                ? { state: 'disconnected', reason: err.reason, willReconnect: false }
                : { state: err.status, reason: err.reason },
            );
            // Stored: the status no longer wants a connection, so one that does later was set by a
            // user (POST …/reconnect, new credentials) and starts at once. Not stored: park it.
            if (!stored) this.parked.set(instance.id, Date.now() + this.timings.reconnectMaxMs);
            break;
          }
          failure = err;
        }
        failures += 1;
        const reason = describe(failure);
        const delay = reconnectDelayMs(
          failures,
          this.timings.reconnectBaseMs,
          this.timings.reconnectMaxMs,
          this.random,
        );
        report({ state: 'disconnected', reason, willReconnect: true });
        this.logger.warn(
          { ...log, err: reason, attempt: failures, retryInMs: delay },
          `the ${instance.provider} connection of instance ${instance.id} failed; reconnecting`,
        );
        await sleep(delay, undefined, { signal }).catch(() => undefined);
      }
    } finally {
      await reports;
    }
  }

  /** Moves a connection's metric state. */
  private show(slot: Slot, state: string): void {
    if (slot.state === state) return;
    this.host.transition?.(slot.instance.provider, slot.state, state);
    slot.state = state;
  }
}

function describe(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > REASON_MAX ? `${text.slice(0, REASON_MAX - 1)}…` : text;
}

/** ms as seconds with one decimal, for log messages. */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
