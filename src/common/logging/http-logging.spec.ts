import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pinoHttp from 'pino-http';
import { httpLoggingOptions } from './http-logging';
import { redactSecrets } from './log-redaction';

/** The app's pino-http logger writing JSON lines into `lines`, behind a real HTTP server. */
async function withLogger(
  handle: (req: http.IncomingMessage & { log: import('pino').Logger }, res: http.ServerResponse) => void,
) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = pinoHttp(httpLoggingOptions('info'), sink);
  const server = http.createServer((req, res) => logger(req, res, () => handle(req as never, res)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { lines, base, close: () => new Promise((r) => server.close(r)) };
}

describe('httpLoggingOptions', () => {
  it('logs one line per request with id, method, URL, status and time, never headers', async () => {
    const t = await withLogger((_req, res) => res.writeHead(200, { 'set-cookie': 'sid=1' }).end('ok'));
    const res = await fetch(`${t.base}/api/instances?limit=5`, {
      headers: { authorization: 'Bearer secret-jwt', 'x-api-key': 'sb_key', 'x-request-id': 'req-42' },
    });
    expect(res.headers.get('x-request-id')).toBe('req-42');
    await t.close();
    expect(t.lines).toHaveLength(1);
    const [line] = t.lines;
    expect(line).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { id: 'req-42', method: 'GET', url: '/api/instances?limit=5' },
      res: { statusCode: 200 },
    });
    expect(Object.keys(line.req as object).sort()).toEqual(['id', 'method', 'url']);
    expect(Object.keys(line.res as object)).toEqual(['statusCode']);
    expect(typeof line.responseTime).toBe('number');
    expect(JSON.stringify(line)).not.toMatch(/secret-jwt|sb_key|sid=1/);
  });

  it('drops the query of provider webhook URLs and replaces an unusable request id', async () => {
    const t = await withLogger((_req, res) => res.end());
    const res = await fetch(`${t.base}/webhook?hub.verify_token=tok&hub.challenge=1`, {
      headers: { 'x-request-id': 'not a token!' },
    });
    await t.close();
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.lines[0].req).toEqual({ id, method: 'GET', url: '/webhook' });
  });

  it('redacts secrets in app log lines (top level, one level down, errors) without touching the objects', async () => {
    const config = { botToken: '123:ABC', username: 'bot' };
    const err = Object.assign(new Error('boom'), { secret: 's3', code: 'x' });
    const t = await withLogger((req, res) => {
      req.log.warn({ config, password: 'pw', instanceId: 'i-1' }, 'configured');
      req.log.error({ err }, 'failed');
      res.end();
    });
    await fetch(`${t.base}/x`);
    await t.close();
    const [configured, failed] = t.lines;
    expect(configured).toMatchObject({
      msg: 'configured',
      config: { botToken: '[redacted]', username: 'bot' },
      password: '[redacted]',
      instanceId: 'i-1',
      req: { method: 'GET', url: '/x' },
    });
    expect(failed).toMatchObject({
      msg: 'failed',
      err: { message: 'boom', secret: '[redacted]', code: 'x' },
    });
    expect(config.botToken).toBe('123:ABC');
    expect(err.secret).toBe('s3');
  });
});

describe('redactSecrets', () => {
  it('returns the same object when nothing is secret', () => {
    const o = { a: 1, b: { c: 'd' }, list: [{ password: 'kept: arrays are not searched' }] };
    expect(redactSecrets(o)).toBe(o);
  });

  it("redacts Slack's signing secret and app-level token, API keys and bare tokens", () => {
    expect(
      redactSecrets({
        config: { signingSecret: 's', appToken: 'xapp-1', botToken: 'xoxb-1' },
        apiKey: 'k',
        token: 't',
      }),
    ).toEqual({
      config: { signingSecret: '[redacted]', appToken: '[redacted]', botToken: '[redacted]' },
      apiKey: '[redacted]',
      token: '[redacted]',
    });
  });

  it('leaves the skipped keys to their serializers', () => {
    expect(redactSecrets({ req: { password: 'x' } }, new Set(['req']))).toEqual({ req: { password: 'x' } });
  });
});
