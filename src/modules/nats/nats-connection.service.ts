import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { jetstream, jetstreamManager, JetStreamClient, StreamConfig } from '@nats-io/jetstream';
import { connect, credsAuthenticator, nanos, NatsConnection } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';
import { AppConfig } from '../../config/app-config';
import { ProviderRegistry } from '../providers/provider-registry';
import { streamSubjects, subjectToken } from './subjects';

/**
 * The process's one NATS connection (worker processes only: the publisher and the request
 * handlers), opened in the background so a NATS outage never blocks boot; the client reconnects
 * forever. Once connected the JetStream stream NATS_STREAM is created or updated with the
 * configured limits ({@link ensureStream}).
 */
@Injectable()
export class NatsConnectionService implements OnApplicationShutdown {
  private readonly logger = new Logger(NatsConnectionService.name);
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private opening: Promise<NatsConnection> | null = null;
  private closed = false;
  private streamReady = false;

  constructor(
    private readonly config: AppConfig,
    private readonly providers: ProviderRegistry,
  ) {}

  get enabled(): boolean {
    return !!this.config.nats.url;
  }

  /** Connected right now (not reconnecting, not closed). */
  get connected(): boolean {
    return !!this.nc && !this.nc.isClosed() && this.up;
  }

  private up = false;

  /**
   * The connection, once the first connect succeeded (retried every 2 s meanwhile; resolves
   * after shutdown never). Callers await it before subscribing or publishing.
   */
  connection(): Promise<NatsConnection> {
    if (this.nc) return Promise.resolve(this.nc);
    this.opening ??= this.open();
    return this.opening;
  }

  /** JetStream client on {@link connection}, after the stream exists. */
  async jetstream(): Promise<JetStreamClient> {
    const nc = await this.connection();
    if (!this.streamReady) await this.ensureStream(nc);
    this.js ??= jetstream(nc, { timeout: 5000 });
    return this.js;
  }

  private async open(): Promise<NatsConnection> {
    const c = this.config.nats;
    for (let attempt = 1; !this.closed; attempt += 1) {
      try {
        const nc = await connect({
          servers: c.url!.split(','),
          name: `switchboard-${process.pid}`,
          ...(c.user ? { user: c.user, pass: c.password } : {}),
          ...(c.token ? { token: c.token } : {}),
          ...(c.credsFile ? { authenticator: credsAuthenticator(readFileSync(c.credsFile)) } : {}),
          maxReconnectAttempts: -1,
          reconnectTimeWait: 1000,
          timeout: 5000,
        });
        if (this.closed) {
          await nc.close();
          break;
        }
        this.nc = nc;
        this.up = true;
        void this.watch(nc);
        this.logger.log({ server: nc.getServer() }, 'connected to NATS');
        return nc;
      } catch (err) {
        if (attempt === 1 || attempt % 30 === 0) {
          this.logger.warn({ err: (err as Error).message, attempt }, 'NATS unreachable; retrying every 2 s');
        }
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    return new Promise<never>(() => {}); // shut down: never resolves
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnecting' || s.type === 'close') this.up = false;
      if (s.type === 'reconnect') {
        this.up = true;
        this.logger.log('reconnected to NATS');
      }
      if (s.type === 'disconnect') this.logger.warn('NATS connection lost; reconnecting');
    }
  }

  /**
   * Creates the stream, or updates its subjects and limits: `<p>.*.in.>`, `<p>.*.error` of every
   * provider and `switchboard.>`; file storage, max age / bytes / duplicate window from the
   * environment (NATS_STREAM_MAX_AGE_MS, NATS_STREAM_MAX_BYTES, NATS_DUPLICATE_WINDOW_MS).
   */
  async ensureStream(nc: NatsConnection): Promise<void> {
    const c = this.config.nats;
    const jsm = await jetstreamManager(nc, { timeout: 5000 });
    const wanted: Partial<StreamConfig> = {
      subjects: streamSubjects(this.providers.adapters.map((a) => subjectToken(a.key, a))),
      max_age: nanos(c.maxAgeMs),
      max_bytes: c.maxBytes,
      duplicate_window: nanos(c.duplicateWindowMs),
    };
    const existing = await jsm.streams.info(c.stream).catch((err: Error) => {
      if (/not found/i.test(err.message)) return null;
      throw err;
    });
    if (existing) {
      await jsm.streams.update(c.stream, wanted);
    } else {
      await jsm.streams.add({ name: c.stream, ...wanted });
    }
    this.streamReady = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    const nc = this.nc;
    this.nc = null;
    if (nc && !nc.isClosed()) {
      // drain: in-flight requests get their replies, then the connection closes
      await nc.drain().catch(() => nc.close());
    }
  }
}
