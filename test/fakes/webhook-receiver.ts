import { createHmac, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One HTTP request received by the {@link WebhookReceiver}. */
export interface RecordedRequest {
  /** HTTP method, e.g. `POST`. */
  method: string;
  /** URL path without the query string, e.g. `/hook`. */
  path: string;
  /** Full request target including the query string, e.g. `/hook?x=1`. */
  url: string;
  /** Request headers with lower-cased names; repeated headers are joined with `, `. */
  headers: Record<string, string>;
  /** Exact body bytes decoded as UTF-8. */
  rawBody: string;
  /** `JSON.parse(rawBody)`, or undefined when the body is empty or not JSON. */
  json: unknown;
  /** Arrival time, `Date.now()` milliseconds. */
  receivedAt: number;
}

/** Canned response of the receiver. */
interface CannedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const DEFAULT_RESPONSE: CannedResponse = { status: 200, headers: {}, body: 'ok' };

/**
 * Local HTTP server on 127.0.0.1 standing in for a client's webhook URL. Records every request and answers
 * 200 `ok` unless told otherwise via {@link WebhookReceiver.failNext} / {@link WebhookReceiver.respondWith}.
 */
export class WebhookReceiver {
  private readonly recorded: RecordedRequest[] = [];
  private readonly failures: CannedResponse[] = [];
  private persistent: CannedResponse = { ...DEFAULT_RESPONSE };
  private delayMs = 0;
  private readonly checks = new Set<() => void>();
  private readonly listeners = new Set<(req: RecordedRequest) => void>();

  private constructor(private readonly server: http.Server) {}

  /** Starts listening on 127.0.0.1:`port` (0 = random free port, the default). */
  static async start(port = 0): Promise<WebhookReceiver> {
    const server = http.createServer();
    const receiver = new WebhookReceiver(server);
    server.on('request', (req, res) => void receiver.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return receiver;
  }

  /** Port the server listens on. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Absolute URL for `path`, e.g. `http://127.0.0.1:54321/hook`. */
  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path.startsWith('/') ? path : `/${path}`}`;
  }

  /** Copy of all requests received so far, in arrival order. */
  get requests(): RecordedRequest[] {
    return [...this.recorded];
  }

  /** Forgets received requests and restores the default behaviour (200 `ok`, no delay, no queued failures). */
  reset(): void {
    this.recorded.length = 0;
    this.failures.length = 0;
    this.persistent = { ...DEFAULT_RESPONSE };
    this.delayMs = 0;
  }

  /** The next `times` requests get `status`/`headers`/`body` (they are still recorded). */
  failNext(times: number, status = 500, headers: Record<string, string> = {}, body = 'fail'): void {
    for (let i = 0; i < times; i++) this.failures.push({ status, headers: lowerCaseKeys(headers), body });
  }

  /** Sets the response for all requests not covered by {@link failNext} (default 200 `ok`). */
  respondWith(status: number, headers: Record<string, string> = {}, body = 'ok'): void {
    this.persistent = { status, headers: lowerCaseKeys(headers), body };
  }

  /** Delays every response by `ms` milliseconds (the request is recorded on arrival); 0 disables. */
  setResponseDelay(ms: number): void {
    this.delayMs = ms;
  }

  /** Calls `listener` for every received request; returns an unsubscribe function. */
  onRequest(listener: (req: RecordedRequest) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves with the first request (already received or arriving later) matching `predicate`; rejects after
   * `timeoutMs` with an error listing what was received.
   */
  waitFor(predicate: (req: RecordedRequest) => boolean, timeoutMs = 10_000): Promise<RecordedRequest> {
    return this.waitUntil(() => this.recorded.find(predicate), timeoutMs, 'a matching request');
  }

  /** Resolves with all requests once at least `n` have been received; rejects after `timeoutMs`. */
  waitForCount(n: number, timeoutMs = 10_000): Promise<RecordedRequest[]> {
    return this.waitUntil(
      () => (this.recorded.length >= n ? [...this.recorded] : undefined),
      timeoutMs,
      `${n} request(s)`,
    );
  }

  /** Stops listening and destroys all open sockets. */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /**
   * Verifies a Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`) request
   * with the official `standardwebhooks` package and returns the parsed payload; throws
   * `WebhookVerificationError` on mismatch. A secret without the `whsec_` prefix is treated as raw UTF-8 key
   * bytes (as the gateway does) and converted to `whsec_<base64>`. Timestamps older/newer than 5 min fail.
   */
  static verifyStandardWebhooks(req: RecordedRequest, secret: string): unknown {
    const whsec = secret.startsWith('whsec_')
      ? secret
      : `whsec_${Buffer.from(secret, 'utf8').toString('base64')}`;
    return new Webhook(whsec).verify(req.rawBody, req.headers);
  }

  /**
   * Port of the user's receiver snippet: `x-webhook-signature` must equal hex HMAC-SHA256(secret, rawBody).
   * Returns false (instead of throwing) when the header is missing or has the wrong length.
   */
  static verifySeedsSignature(req: RecordedRequest, secret: string): boolean {
    const signature = req.headers['x-webhook-signature'];
    if (signature === undefined) return false;
    const body: unknown = req.rawBody;
    const computedSignature = createHmac('sha256', secret)
      .update(typeof body === 'string' ? body : JSON.stringify(body))
      .digest('hex');
    const given = Buffer.from(signature);
    const computed = Buffer.from(computedSignature);
    if (given.length !== computed.length) return false;
    return timingSafeEqual(given, computed);
  }

  /** Instance alias of {@link WebhookReceiver.verifyStandardWebhooks}. */
  verifyStandardWebhooks(req: RecordedRequest, secret: string): unknown {
    return WebhookReceiver.verifyStandardWebhooks(req, secret);
  }

  /** Instance alias of {@link WebhookReceiver.verifySeedsSignature}. */
  verifySeedsSignature(req: RecordedRequest, secret: string): boolean {
    return WebhookReceiver.verifySeedsSignature(req, secret);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return; // client went away mid-body
    }
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let json: unknown;
    try {
      json = rawBody === '' ? undefined : JSON.parse(rawBody);
    } catch {
      json = undefined;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    const target = req.url ?? '/';
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: new URL(target, 'http://127.0.0.1').pathname,
      url: target,
      headers,
      rawBody,
      json,
      receivedAt: Date.now(),
    };
    this.recorded.push(recorded);
    for (const listener of this.listeners) {
      try {
        listener(recorded);
      } catch {
        // listeners must not break the receiver
      }
    }
    for (const check of [...this.checks]) check();

    const response = this.failures.shift() ?? this.persistent;
    // unref'd: a held response never keeps the test process alive after stop()
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs).unref());
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(response.status, {
      'content-type': 'text/plain; charset=utf-8',
      ...response.headers,
      'content-length': Buffer.byteLength(response.body),
    });
    res.end(response.body);
  }

  private waitUntil<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const found = probe();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value === undefined) return;
        clearTimeout(timer);
        this.checks.delete(check);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.checks.delete(check);
        reject(
          new Error(
            `WebhookReceiver: timed out after ${timeoutMs} ms waiting for ${what}; ${this.describe()}`,
          ),
        );
      }, timeoutMs);
      this.checks.add(check);
    });
  }

  private describe(): string {
    if (this.recorded.length === 0) return 'received nothing';
    const lines = this.recorded.map((r, i) => {
      const body = r.rawBody.length > 300 ? `${r.rawBody.slice(0, 300)}…` : r.rawBody;
      return `  #${i + 1} ${r.method} ${r.url} ${body}`;
    });
    return `received ${this.recorded.length} request(s):\n${lines.join('\n')}`;
  }
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
