import { Logger } from '@nestjs/common';

/** Socket errors of a lost or refused Redis connection; ioredis reconnects by itself after them. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** True for errors that only say the connection is down or closing (not a failed command). */
export function isRedisConnectionError(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: string; message?: string };
  if (code && CONNECTION_ERROR_CODES.has(code)) return true;
  return /Connection is closed|Stream isn't writeable|connect ETIMEDOUT/.test(message ?? '');
}

/**
 * Logs the error events of one Redis connection (the shared client, a BullMQ queue or worker)
 * at the right level, so none reaches ioredis' "Unhandled error event" console fallback:
 * the first connection error of an outage is a warning, the reconnect attempts after it are
 * debug, the return is logged with the outage's length (ms); any other error is an error.
 */
export class RedisErrorLog {
  private downSince: number | null = null;

  constructor(
    private readonly logger: Logger,
    /** Which connection, e.g. `shared client` or `queue webhook-delivery`. */
    private readonly connection: string,
  ) {}

  /** For an `error` event. */
  readonly error = (err: Error): void => {
    if (!isRedisConnectionError(err)) {
      this.logger.error({ err, connection: this.connection }, 'Redis error');
      return;
    }
    if (this.downSince === null) {
      this.downSince = Date.now();
      this.logger.warn(
        { connection: this.connection, err: err.message },
        'Redis connection lost; reconnecting',
      );
    } else {
      this.logger.debug({ connection: this.connection, err: err.message }, 'Redis still unreachable');
    }
  };

  /** For a `ready` event (connected and usable again). */
  readonly ready = (): void => {
    if (this.downSince === null) return;
    const downMs = Date.now() - this.downSince;
    this.downSince = null;
    this.logger.log({ connection: this.connection, downMs }, 'Redis connection restored');
  };

  /** Listens to an ioredis-like emitter's `error` and `ready` events. */
  watch(emitter: { on(event: string, listener: (err: Error) => void): unknown }): this {
    emitter.on('error', this.error);
    emitter.on('ready', this.ready);
    return this;
  }
}
