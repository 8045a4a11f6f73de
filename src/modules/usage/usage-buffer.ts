import { addUsage, currentUtcDay, emptyUsage, UsageCounts, utcDay } from './usage-counts';

/** One (instance, day) slice of pending counts, as drained for a flush. */
export interface UsageDelta {
  instanceId: string;
  /** UTC day `YYYY-MM-DD`. */
  date: string;
  counts: UsageCounts;
}

/**
 * In-memory usage deltas not yet written to PostgreSQL. `add` is a Map lookup and a few
 * integer additions — cheap enough for the ingest hot path. `drain` hands everything to a
 * flush and starts empty; `restore` puts a failed flush's deltas back so nothing is lost.
 */
export class UsageBuffer {
  private pending = new Map<string, UsageDelta>();

  /** @param at when it happened; default now (UTC day cached until midnight). */
  add(instanceId: string, counts: Partial<UsageCounts>, at?: Date): void {
    const date = at ? utcDay(at) : currentUtcDay();
    const key = `${instanceId}|${date}`;
    let delta = this.pending.get(key);
    if (!delta) {
      delta = { instanceId, date, counts: emptyUsage() };
      this.pending.set(key, delta);
    }
    addUsage(delta.counts, counts);
  }

  /** Pending (not yet flushed) counts of one instance on one day. */
  peek(instanceId: string, date: string): UsageCounts {
    return { ...(this.pending.get(`${instanceId}|${date}`)?.counts ?? emptyUsage()) };
  }

  get size(): number {
    return this.pending.size;
  }

  drain(): UsageDelta[] {
    const out = [...this.pending.values()];
    this.pending = new Map();
    return out;
  }

  restore(deltas: UsageDelta[]): void {
    for (const d of deltas) {
      const key = `${d.instanceId}|${d.date}`;
      const current = this.pending.get(key);
      if (current) addUsage(current.counts, d.counts);
      else this.pending.set(key, { ...d, counts: { ...d.counts } });
    }
  }
}
