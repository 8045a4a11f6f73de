import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge, register } from 'prom-client';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { NatsConnectionService } from './nats-connection.service';

if (!register.getSingleMetric('switchboard_nats_pending')) {
  new Gauge({
    name: 'switchboard_nats_pending',
    help: 'Items (archived provider events and client events) not yet published to NATS JetStream',
    async collect() {
      const current = NatsHealthService.current;
      const pending = current ? await current.pending().catch(() => null) : null;
      if (pending !== null) this.set(pending);
    },
  });
}

/** NATS lag and readiness: what waits in `nats_outbox`, and (in worker processes) the connection. */
@Injectable()
export class NatsHealthService implements OnModuleInit {
  private readonly logger = new Logger(NatsHealthService.name);
  /** The app whose database `switchboard_nats_pending` reads (the last one built in this process). */
  static current: NatsHealthService | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly conn: NatsConnectionService,
  ) {
    NatsHealthService.current = this;
  }

  /**
   * Turns the outbox triggers on or off with NATS_URL (after migrations: every provider is built
   * by now; the publisher starts later, at application bootstrap), so no backlog piles up without NATS.
   */
  async onModuleInit(): Promise<void> {
    const changed = await this.db.query(
      `WITH u AS (
         UPDATE nats_publisher SET enabled = $1, updated_at = now() WHERE id = 1 AND enabled IS DISTINCT FROM $1
         RETURNING enabled
       ) SELECT enabled FROM u`,
      [this.enabled],
    );
    if (changed.length && !this.enabled) {
      // every process of a deployment must share NATS_URL: this one turned the NATS outbox off for all
      this.logger.warn(
        { pending: await this.pending() },
        'NATS_URL is unset: no longer recording events for NATS (set NATS_URL on every process to keep them)',
      );
    }
  }

  get enabled(): boolean {
    return !!this.config.nats.url;
  }

  /** Rows of `nats_outbox` (each one archived provider event or client event). */
  async pending(): Promise<number> {
    if (!this.db.isInitialized) return 0;
    const [row] = await this.db.query('SELECT count(*)::int AS n FROM nats_outbox');
    return row.n;
  }

  /**
   * Readiness of the NATS sink: `up` while at most NATS_PENDING_MAX items wait and, in a process
   * that publishes (workers), the connection is up. @returns details for GET /health/ready.
   */
  async check(): Promise<{ up: boolean; details: Record<string, unknown> }> {
    const pending = await this.pending();
    const max = this.config.nats.pendingMax;
    const publishes = this.config.runsWorkers;
    const connected = publishes ? this.conn.connected : undefined;
    return {
      up: pending <= max && connected !== false,
      details: { pending, max, ...(publishes ? { connected } : {}) },
    };
  }
}
