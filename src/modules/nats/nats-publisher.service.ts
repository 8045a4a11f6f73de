import { Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import type { JetStreamClient } from '@nats-io/jetstream';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Histogram, register } from 'prom-client';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { ProviderRegistry } from '../providers/provider-registry';
import { toEnvelope } from '../webhooks/events.service';
import { NatsConnectionService } from './nats-connection.service';
import { eventMessage, inboundMessages, NatsOutMessage, requestMessage, subjectToken } from './subjects';

/** Outbox rows claimed per transaction. */
const BATCH = 200;
/** Longest pause between attempts while NATS or PostgreSQL fail, ms. */
const MAX_BACKOFF_MS = 5000;

const published =
  (register.getSingleMetric('switchboard_nats_published_total') as Counter | undefined) ??
  new Counter({
    name: 'switchboard_nats_published_total',
    help: 'Messages published to JetStream by outcome (stored, duplicate = deduplicated by Nats-Msg-Id)',
    labelNames: ['outcome'],
  });
const lag =
  (register.getSingleMetric('switchboard_nats_publish_lag_seconds') as Histogram | undefined) ??
  new Histogram({
    name: 'switchboard_nats_publish_lag_seconds',
    help: 'From the outbox row commit (archive or event insert) to the JetStream publish ack',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
  });

interface OutboxRow {
  id: string;
  source: 'inbound' | 'event' | 'request';
  ref_id: string;
  created_at: Date;
}

/**
 * Follows the durable outbox into JetStream (issue 13; README § NATS). Statement triggers add a
 * `nats_outbox` row in the same transaction as every archived provider event (`inbound_events`),
 * every archived webhook request (`inbound_requests`: its body on `.in.webhook`) and every client
 * event (`events`); this loop claims rows (FOR UPDATE SKIP LOCKED, so every
 * worker process shares the work), publishes their subjects with publish acks and a stable
 * `Nats-Msg-Id`, and deletes the rows only after every ack, in the same transaction. A NATS
 * outage, a killed worker or a restart leaves the rows in place: they are published later, and a
 * message already stored is dropped by JetStream as a duplicate of its `Nats-Msg-Id`.
 */
@Injectable()
export class NatsPublisherService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(NatsPublisherService.name);
  private stopped = false;
  private running: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly conn: NatsConnectionService,
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly providers: ProviderRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.conn.enabled) return;
    this.running = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    let js: JetStreamClient | null = null;
    let failures = 0;
    while (!this.stopped) {
      let claimed = 0;
      try {
        js ??= await this.until(this.conn.jetstream());
        if (!js) break;
        if (!this.conn.connected) {
          // while the client reconnects it would buffer every publish in memory (and flush them
          // all on reconnect): the rows wait in PostgreSQL instead
          await this.sleep(250);
          continue;
        }
        claimed = await this.publishBatch(js);
        failures = 0;
      } catch (err) {
        failures += 1;
        if (failures === 1 || failures % 20 === 0) {
          this.logger.warn({ err: (err as Error).message, failures }, 'NATS publish failed; will retry');
        }
        if (/stream/i.test((err as Error).message)) js = null; // e.g. stream deleted: ensure it again
        await this.sleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(failures, 6)));
        continue;
      }
      if (claimed < BATCH) await this.sleep(this.config.nats.pollIntervalMs);
    }
  }

  /** Claims up to BATCH rows, publishes them, deletes them; all or nothing. @returns rows claimed. */
  async publishBatch(js: JetStreamClient): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows: OutboxRow[] = await tx.query(
        `SELECT id, source, ref_id, created_at FROM nats_outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [BATCH],
      );
      if (rows.length === 0) return 0;
      const messages = await this.messagesFor(tx, rows);
      const acks = await Promise.all(
        messages.map(({ subject, msgId, data, raw }) =>
          js.publish(subject, raw ?? JSON.stringify(data), { msgID: msgId }),
        ),
      );
      await tx.query(`DELETE FROM nats_outbox WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
      const now = Date.now();
      for (const a of acks) published.inc({ outcome: a.duplicate ? 'duplicate' : 'stored' });
      for (const r of rows) lag.observe((now - new Date(r.created_at).getTime()) / 1000);
      return rows.length;
    });
  }

  /** The subjects of the claimed rows, in outbox order; rows whose source is gone (instance deleted) publish nothing. */
  private async messagesFor(tx: EntityManager, rows: OutboxRow[]): Promise<NatsOutMessage[]> {
    const inboundIds = rows.filter((r) => r.source === 'inbound').map((r) => r.ref_id);
    const eventIds = rows.filter((r) => r.source === 'event').map((r) => r.ref_id);
    const requestIds = rows.filter((r) => r.source === 'request').map((r) => r.ref_id);
    const inbound = new Map<string, NatsOutMessage[]>();
    const events = new Map<string, NatsOutMessage[]>();
    const requests = new Map<string, NatsOutMessage[]>();
    if (requestIds.length) {
      const found: {
        id: string;
        provider: string;
        instanceId: string;
        body: string;
        bodySha256: string;
        slug: string;
      }[] = await tx.query(
        `SELECT r.id::text AS id, r.provider, r.instance_id AS "instanceId", r.body, r.body_sha256 AS "bodySha256", i.slug
             FROM inbound_requests r JOIN instances i ON i.id = r.instance_id
            WHERE r.id = ANY($1::bigint[])`,
        [requestIds],
      );
      for (const r of found) {
        const token = subjectToken(r.provider, this.providers.find(r.provider));
        requests.set(r.id, [requestMessage({ ...r, token })]);
      }
    }
    if (inboundIds.length) {
      const found: {
        id: string;
        provider: string;
        instanceId: string;
        payload: Record<string, unknown>;
        outcome: string;
        skipReason: string | null;
        requestId: string | null;
        slug: string;
      }[] = await tx.query(
        `SELECT ie.id::text AS id, ie.provider, ie.instance_id AS "instanceId", ie.payload, ie.outcome,
                ie.skip_reason AS "skipReason", ie.request_id::text AS "requestId", i.slug
           FROM inbound_events ie JOIN instances i ON i.id = ie.instance_id
          WHERE ie.id = ANY($1::bigint[])`,
        [inboundIds],
      );
      for (const r of found) {
        const adapter = this.providers.find(r.provider);
        inbound.set(r.id, inboundMessages({ ...r, token: subjectToken(r.provider, adapter) }, adapter?.nats));
      }
    }
    if (eventIds.length) {
      const found = await tx.query(
        `SELECT e.id, e.type, e.instance_id AS "instanceId", e.sequence, e.payload, e.created_at AS "createdAt",
                i.provider, i.slug
           FROM events e JOIN instances i ON i.id = e.instance_id WHERE e.id = ANY($1::uuid[])`,
        [eventIds],
      );
      for (const r of found) {
        const token = subjectToken(r.provider, this.providers.find(r.provider));
        events.set(r.id, [eventMessage(token, r.slug, toEnvelope(r, r.provider))]);
      }
    }
    const bySource = { inbound, event: events, request: requests };
    return rows.flatMap((r) => bySource[r.source].get(r.ref_id) ?? []);
  }

  /** `promise`, or null once shutdown begins. */
  private until<T>(promise: Promise<T>): Promise<T | null> {
    return Promise.race([promise, new Promise<null>((r) => (this.wake = () => r(null)))]);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
