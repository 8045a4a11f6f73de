import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { UsageBuffer } from './usage-buffer';
import { USAGE_COLUMNS, USAGE_FIELDS, UsageCounts, UsageField, utcDay } from './usage-counts';

/**
 * Usage counters per instance per UTC day (`usage_daily`). Hot paths call `add`, which only
 * touches an in-memory buffer (no I/O, no await). Every `USAGE_FLUSH_INTERVAL_MS` each process
 * writes its buffer in ONE statement (`INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE
 * SET x = usage_daily.x + EXCLUDED.x`), so several processes add up without coordination and
 * counts are exact once flushed. A failed flush keeps its deltas for the next one; a crash
 * loses at most the counts of the last interval (graceful shutdown flushes).
 */
@Injectable()
export class UsageService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(UsageService.name);
  private readonly buffer = new UsageBuffer();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
  ) {}

  get enabled(): boolean {
    return this.config.usage.enabled;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => void this.flush(), this.config.usage.flushIntervalMs);
    this.timer.unref();
  }

  /** Before onApplicationShutdown, where TypeORM closes its pool. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Counts usage for an instance now (in memory; written at the next flush). */
  add(instanceId: string, counts: Partial<UsageCounts>): void {
    if (this.enabled) this.buffer.add(instanceId, counts);
  }

  /** Today's usage of an instance: flushed rows plus this process's pending deltas. */
  async today(instanceId: string): Promise<UsageCounts> {
    const date = utcDay();
    const pending = this.buffer.peek(instanceId, date);
    const cols = USAGE_FIELDS.map((f) => `${USAGE_COLUMNS[f]}::float8 AS "${f}"`).join(', ');
    const [row] = await this.db.query(
      `SELECT ${cols} FROM usage_daily WHERE instance_id = $1 AND date = $2`,
      [instanceId, date],
    );
    for (const f of USAGE_FIELDS) pending[f] += Number(row?.[f] ?? 0);
    return pending;
  }

  /**
   * Writes every pending delta to PostgreSQL. Concurrent callers share one flush; deltas of an
   * instance deleted meanwhile are dropped. On a database error the deltas go back to the buffer.
   */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async write(): Promise<void> {
    const deltas = this.buffer.drain();
    if (deltas.length === 0) return;
    const columns = USAGE_FIELDS.map((f) => USAGE_COLUMNS[f]);
    const params: unknown[] = [deltas.map((d) => d.instanceId), deltas.map((d) => d.date)];
    for (const f of USAGE_FIELDS as readonly UsageField[]) params.push(deltas.map((d) => d.counts[f]));
    const casts = columns.map((_, i) => `$${i + 3}::bigint[]`).join(', ');
    try {
      await this.db.query(
        `INSERT INTO usage_daily (instance_id, date, ${columns.join(', ')})
         SELECT u.* FROM unnest($1::uuid[], $2::date[], ${casts}) AS u(instance_id, date, ${columns.join(', ')})
           JOIN instances i ON i.id = u.instance_id
         ON CONFLICT (instance_id, date) DO UPDATE SET
           ${columns.map((c) => `${c} = usage_daily.${c} + EXCLUDED.${c}`).join(', ')}, updated_at = now()`,
        params,
      );
    } catch (err) {
      this.buffer.restore(deltas);
      this.logger.warn({ err: (err as Error).message }, 'usage flush failed; retrying at the next interval');
    }
  }
}
