import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { destination, stdSerializers } from 'pino';
import type { DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import { redactSecrets } from './log-redaction';

/** Keys whose serializers below produce fixed shapes: redactSecrets leaves them to the serializer. */
const SERIALIZED = new Set(['req', 'res', 'err']);

/**
 * The pino-http options of the app's logger (nestjs-pino's LoggerModule): one `info` line per
 * request (`{req: {id, method, url}, res: {statusCode}, responseTime}`, "request completed") —
 * never the request's or the response's headers — and every app log line in a request carrying
 * that `req`. Secrets in any line are redacted ({@link redactSecrets}).
 * The serializers read the raw request and response (`wrapSerializers: false`): pino-http's
 * standard ones copied every header of both first, only for these to pick three fields (issue 11).
 * `x-request-id` is taken from the request when it is a plain token (≤ 128 chars), else a UUID,
 * and echoed on the response.
 */
export function httpLoggingOptions(level: string): Options {
  return {
    level,
    genReqId: (req, res) => {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
    wrapSerializers: false,
    serializers: {
      req: (req: IncomingMessage & { id?: unknown; originalUrl?: string }) => {
        const url = req.originalUrl ?? req.url ?? '';
        return {
          id: req.id,
          method: req.method,
          // bot tokens travel in Telegram URLs and the Meta GET handshake carries hub.verify_token in
          // the query (also on the seed's /webhook): provider webhook URLs are logged without it
          url: /^\/webhooks?[/?]/.test(url) ? url.split('?')[0] : url,
        };
      },
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      err: (err: Error) => redactSecrets(stdSerializers.err(err)),
    },
    formatters: { log: (obj) => redactSecrets(obj, SERIALIZED) },
  };
}

/**
 * pino's stdout (sonic-boom), fed once per event-loop turn: the lines logged during a turn are
 * joined and handed over in one write when the turn ends (setImmediate), instead of one write
 * per line — at `info` every request logged its own line, and its write was an eighth of a
 * request's CPU (issue 11). Lines still leave within the turn that logged them; on exit the
 * pending ones are written synchronously, after pino's own exit flush.
 */
class TurnBatchedStdout implements DestinationStream {
  private pending = '';
  private scheduled = false;

  constructor(private readonly out: ReturnType<typeof destination>) {
    process.once('exit', () => {
      if (!this.pending) return;
      this.out.write(this.pending);
      this.pending = '';
      this.out.flushSync();
    });
  }

  write(line: string): void {
    this.pending += line;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const lines = this.pending;
    this.pending = '';
    if (lines) this.out.write(lines);
  };
}

let stdout: DestinationStream | undefined;

/** Where every log line goes: stdout, in one write per event-loop turn ({@link TurnBatchedStdout}). One per process. */
export function logDestination(): DestinationStream {
  stdout ??= new TurnBatchedStdout(destination({ dest: 1, sync: false }));
  return stdout;
}
