import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * Local stand-in for Slack, speaking the real wire formats over real HTTP/WebSocket on 127.0.0.1
 * (PROVIDERS.md §5, §9; slack-discord.md C2/C3, the frames verified against @slack/web-api 8.2
 * and @slack/socket-mode 3.1):
 * - Web API: `POST /api/<method>` with `Authorization: Bearer <token>`, form, JSON or multipart
 *   bodies; always HTTP 200 `{ok:true,…}` / `{ok:false,error}`, except a 429 with `Retry-After`.
 *   Methods: auth.test, chat.postMessage, conversations.open, reactions.add, users.info,
 *   files.getUploadURLExternal (absolute `upload_url` back to this server), files.completeUploadExternal,
 *   files.info (`url_private_download` served here, Bearer required, HTML login page without it),
 *   apps.connections.open (app token; a `ws://` URL to this server).
 * - Socket Mode: `ws://…/link/?ticket=…` sends `{"type":"hello",…}`, then envelopes from
 *   {@link pushSocketEvent}; acks `{envelope_id, payload}` are recorded; {@link sendDisconnect} sends
 *   `{"type":"disconnect","reason":…}` and closes like Slack.
 * - Events API push: {@link signedRequest} / {@link pushEvent} sign `v0:<ts>:<raw body>` with the
 *   signing secret, body serialized as Slack does (`/` escaped as `\/`), `X-Slack-Retry-Num` on redelivery.
 * - `POST /sandbox/event` `{url, signingSecret, body}` (not Slack; for `npm run sandbox`) pushes an event.
 */

export interface SlackBot {
  token: string;
  teamId: string;
  team: string;
  userId: string;
  botId: string;
  user: string;
  appId: string;
}

export interface RecordedSlackCall {
  method: string;
  token: string | null;
  contentType: string;
  /** Form/JSON fields (JSON-looking form values stay strings, as sent); multipart files as `{fileName,size,contentType}`. */
  body: Record<string, unknown>;
  at: Date;
}

export interface SlackUser {
  id: string;
  name: string;
  real_name?: string;
  display_name?: string;
  is_bot?: boolean;
}

interface Failure {
  method: string;
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

interface SlackFileRecord {
  id: string;
  name: string;
  mimetype: string;
  bytes: Buffer;
  token: string;
  completed: boolean;
  channel?: string;
}

/** Slack's JSON: `/` escaped as `\/` (the bytes the signature is computed over). */
export function slackJson(value: unknown): string {
  return JSON.stringify(value).replace(/\//g, '\\/');
}

export function slackSignatureHeader(secret: string, timestamp: string, raw: string | Buffer): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(raw).digest('hex')}`;
}

export class FakeSlack {
  readonly calls: RecordedSlackCall[] = [];
  /** Every frame a Socket Mode client sent (acks). */
  readonly socketFrames: Record<string, unknown>[] = [];
  /** apps.connections.open calls and socket opens, in order. */
  readonly socketLog: string[] = [];
  private readonly bots = new Map<string, SlackBot>();
  private readonly appTokens = new Set<string>();
  private readonly users = new Map<string, SlackUser>();
  private readonly channels = new Map<string, { archived?: boolean; member?: boolean }>();
  private readonly files = new Map<string, SlackFileRecord>();
  private readonly failures: Failure[] = [];
  private readonly sockets = new Set<WebSocket>();
  private readonly ackWaiters = new Map<string, (frame: Record<string, unknown>) => void>();
  private readonly listeners: ((c: RecordedSlackCall) => void)[] = [];
  private seq = 0;
  private tsSeq = 0;

  private constructor(
    private readonly server: http.Server,
    private readonly wss: WebSocketServer,
  ) {}

  static async start(port = 0): Promise<FakeSlack> {
    const server = http.createServer();
    const wss = new WebSocketServer({ noServer: true });
    const fake = new FakeSlack(server, wss);
    server.on('request', (req, res) => {
      void fake.handle(req, res).catch((err) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: `fake_error: ${String(err)}` }));
      });
    });
    server.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith('/link/')) return socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => fake.onSocket(ws, req.url!));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** SLACK_API_URL for the gateway. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A workspace bot reachable with `token` (auth.test answers its ids). */
  addBot(bot: Partial<SlackBot> & { token: string }): SlackBot {
    const n = this.bots.size + 1;
    const full: SlackBot = {
      teamId: `T0FAKE${n}`,
      team: `Fake Workspace ${n}`,
      userId: `U0BOT${n}`,
      botId: `B0BOT${n}`,
      user: `switchboard-bot-${n}`,
      appId: `A0APP${n}`,
      ...bot,
    };
    this.bots.set(bot.token, full);
    return full;
  }

  addAppToken(token: string): void {
    this.appTokens.add(token);
  }

  addUser(user: SlackUser): void {
    this.users.set(user.id, user);
  }

  /** A conversation the bot can post to (`member: false` → not_in_channel; `archived` → is_archived). */
  addChannel(id: string, opts: { archived?: boolean; member?: boolean } = {}): void {
    this.channels.set(id, opts);
  }

  /** A file shared in Slack (inbound `file_share`), downloadable with a bot token. */
  addFile(id: string, name: string, mimetype: string, bytes: Buffer, token: string): void {
    this.files.set(id, { id, name, mimetype, bytes, token, completed: true });
  }

  fileBytes(id: string): Buffer | undefined {
    return this.files.get(id)?.bytes;
  }

  /** The next call of `method` answers `{ok:false,error}` (HTTP 200), or 429 with Retry-After when `status: 429`. */
  failNext(
    method: string,
    error: string,
    opts: { status?: number; retryAfter?: number; extra?: Record<string, unknown> } = {},
  ): void {
    const status = opts.status ?? 200;
    this.failures.push({
      method,
      status,
      body: { ok: false, error, ...(opts.extra ?? {}) },
      headers: status === 429 ? { 'retry-after': String(opts.retryAfter ?? 30) } : {},
    });
  }

  onCall(listener: (c: RecordedSlackCall) => void): void {
    this.listeners.push(listener);
  }

  callsTo(method: string): RecordedSlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  lastCall(method: string): RecordedSlackCall | undefined {
    return this.callsTo(method).at(-1);
  }

  /** A fresh, increasing Slack `ts` (seconds.micros). */
  nextTs(): string {
    this.tsSeq += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.tsSeq).padStart(6, '0')}`;
  }

  // ---- Events API ----

  /** An `event_callback` envelope around `event`, as Slack sends it. */
  envelope(
    bot: SlackBot,
    event: Record<string, unknown>,
    eventId = `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
  ) {
    return {
      token: 'XXYYZZverificationtoken',
      team_id: bot.teamId,
      context_team_id: bot.teamId,
      context_enterprise_id: null,
      api_app_id: bot.appId,
      event,
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [
        {
          enterprise_id: null,
          team_id: bot.teamId,
          user_id: bot.userId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
      event_context: `4-${randomBytes(16).toString('hex')}`,
    };
  }

  /**
   * The headers and bytes of an Events API request for `body`: signature over the raw bytes
   * with `secret` (null: no signature headers), `timestamp` (default now), `retryNum` for a redelivery.
   */
  signedRequest(
    body: unknown,
    secret: string | null,
    opts: { timestamp?: number; signature?: string; retryNum?: number; raw?: string } = {},
  ): { rawBody: Buffer; headers: Record<string, string> } {
    const raw = opts.raw ?? slackJson(body);
    const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    };
    if (secret !== null || opts.signature) {
      headers['x-slack-request-timestamp'] = ts;
      headers['x-slack-signature'] = opts.signature ?? slackSignatureHeader(secret!, ts, raw);
    }
    if (opts.retryNum) {
      headers['x-slack-retry-num'] = String(opts.retryNum);
      headers['x-slack-retry-reason'] = 'http_timeout';
    }
    return { rawBody: Buffer.from(raw, 'utf8'), headers };
  }

  /** POSTs an Events API request to `url` (see {@link signedRequest}); returns the gateway's answer. */
  async pushEvent(
    url: string,
    body: unknown,
    secret: string | null,
    opts: Parameters<FakeSlack['signedRequest']>[2] = {},
  ): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
    const { rawBody, headers } = this.signedRequest(body, secret, opts);
    const res = await request(url, { method: 'POST', headers, body: rawBody });
    return { status: res.statusCode, text: await res.body.text(), headers: res.headers };
  }

  // ---- Socket Mode ----

  /** Open Socket Mode connections. */
  get openSockets(): number {
    return [...this.sockets].filter((s) => s.readyState === s.OPEN).length;
  }

  /**
   * Sends an `events_api` envelope with `payload` (an event_callback) on every open socket;
   * resolves with the client's ack frame (or rejects after `timeoutMs`).
   */
  pushSocketEvent(
    payload: unknown,
    opts: { retryAttempt?: number; envelopeId?: string; timeoutMs?: number } = {},
  ): { envelopeId: string; acked: Promise<Record<string, unknown>> } {
    const envelopeId = opts.envelopeId ?? randomUUID();
    const frame = {
      envelope_id: envelopeId,
      type: 'events_api',
      accepts_response_payload: false,
      retry_attempt: opts.retryAttempt ?? 0,
      retry_reason: opts.retryAttempt ? 'timeout' : '',
      payload,
    };
    const acked = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.ackWaiters.delete(envelopeId);
        reject(new Error(`no ack for envelope ${envelopeId}`));
      }, opts.timeoutMs ?? 10_000);
      this.ackWaiters.set(envelopeId, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
    });
    for (const ws of this.sockets) if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    return { envelopeId, acked };
  }

  /** Slack's refresh: `{"type":"disconnect","reason":…}` on every open socket, then the close. */
  sendDisconnect(reason = 'refresh_requested'): void {
    for (const ws of this.sockets) {
      if (ws.readyState !== ws.OPEN) continue;
      ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'fake-applink-1' } }));
    }
  }

  private onSocket(ws: WebSocket, url: string): void {
    this.socketLog.push(`open ${url}`);
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        const frame = JSON.parse(data.toString()) as Record<string, unknown>;
        this.socketFrames.push(frame);
        const waiter = this.ackWaiters.get(String(frame.envelope_id));
        if (waiter) {
          this.ackWaiters.delete(String(frame.envelope_id));
          waiter(frame);
        }
      } catch {
        /* not JSON: ignored, like Slack */
      }
    });
    const appId = new URL(url, this.baseUrl).searchParams.get('app_id') ?? 'A0APP1';
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.size,
        debug_info: { host: 'fake-applink-1', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: appId },
      }),
    );
  }

  // ---- Web API ----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : null;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };

    if (req.method === 'POST' && url.pathname === '/sandbox/event') {
      const {
        url: target,
        signingSecret,
        body,
      } = JSON.parse(raw.toString('utf8')) as {
        url: string;
        signingSecret: string;
        body: unknown;
      };
      const pushed = await this.pushEvent(target, body, signingSecret);
      return send(200, { status: pushed.status, response: pushed.text });
    }

    const upload = url.pathname.match(/^\/upload\/v1\/(F[A-Z0-9]+)$/);
    if (upload && req.method === 'POST') {
      const f = this.files.get(upload[1]);
      const body = await this.parseBody(req.headers['content-type'] ?? '', raw);
      const part = body.body as { size?: number } | undefined;
      this.calls.push({
        method: 'upload',
        token,
        contentType: req.headers['content-type'] ?? '',
        body,
        at: new Date(),
      });
      if (!f || token !== f.token || !part) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        return void res.end('Bad Request');
      }
      f.bytes = this.lastFileBytes ?? Buffer.alloc(0);
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end(`OK - ${f.bytes.length}`);
    }

    const download = url.pathname.match(/^\/files-pri\/[A-Z0-9]+-(F[A-Z0-9]+)\/download\/(.+)$/);
    if (download && req.method === 'GET') {
      const f = this.files.get(download[1]);
      if (!f || !token || !this.bots.has(token)) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return void res.end('<!DOCTYPE html><html><body>Sign in to Slack</body></html>');
      }
      res.writeHead(200, { 'content-type': f.mimetype, 'content-length': String(f.bytes.length) });
      return void res.end(f.bytes);
    }

    const m = url.pathname.match(/^\/api\/([a-zA-Z.]+)$/);
    if (!m) return send(404, { ok: false, error: 'unknown_method' });
    const method = m[1];
    const body = await this.parseBody(req.headers['content-type'] ?? '', raw);
    for (const [k, v] of url.searchParams) body[k] ??= v;
    const call: RecordedSlackCall = {
      method,
      token,
      contentType: req.headers['content-type'] ?? '',
      body,
      at: new Date(),
    };
    this.calls.push(call);
    for (const l of this.listeners) l(call);

    const injected = this.failures.findIndex((f) => f.method === method);
    if (injected >= 0) {
      const [f] = this.failures.splice(injected, 1);
      return send(f.status, f.body, f.headers);
    }

    if (method === 'apps.connections.open') {
      if (!token) return send(200, { ok: false, error: 'not_authed' });
      if (!this.appTokens.has(token)) return send(200, { ok: false, error: 'invalid_auth' });
      this.seq += 1;
      this.socketLog.push('apps.connections.open');
      const port = (this.server.address() as AddressInfo).port;
      return send(200, { ok: true, url: `ws://127.0.0.1:${port}/link/?ticket=t${this.seq}&app_id=A0APP1` });
    }

    if (!token) return send(200, { ok: false, error: 'not_authed' });
    const bot = this.bots.get(token);
    if (!bot) return send(200, { ok: false, error: 'invalid_auth' });
    const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
    const channelCheck = (id: string | undefined) => {
      if (!id) return 'channel_not_found';
      if (/^D/.test(id)) return null;
      const c = this.channels.get(id);
      if (!c) return 'channel_not_found';
      if (c.archived) return 'is_archived';
      if (c.member === false) return 'not_in_channel';
      return null;
    };

    switch (method) {
      case 'auth.test':
        return send(200, {
          ok: true,
          url: `https://fake-${bot.teamId.toLowerCase()}.slack.com/`,
          team: bot.team,
          user: bot.user,
          team_id: bot.teamId,
          user_id: bot.userId,
          bot_id: bot.botId,
          is_enterprise_install: false,
        });
      case 'chat.postMessage': {
        const channel = str('channel');
        const bad = channelCheck(channel);
        if (bad) return send(200, { ok: false, error: bad });
        const text = str('text') ?? '';
        if (!text && !str('blocks')) return send(200, { ok: false, error: 'no_text' });
        if (text.length > 40_000) return send(200, { ok: false, error: 'msg_too_long' });
        const ts = this.nextTs();
        return send(200, {
          ok: true,
          channel,
          ts,
          message: {
            type: 'message',
            subtype: 'bot_message',
            text,
            user: bot.userId,
            bot_id: bot.botId,
            ts,
            ...(str('thread_ts') ? { thread_ts: str('thread_ts') } : {}),
            ...(str('blocks') ? { blocks: JSON.parse(str('blocks')!) } : {}),
          },
        });
      }
      case 'conversations.open': {
        const users = str('users');
        if (!users) return send(200, { ok: false, error: 'users_list_not_supplied' });
        if (!this.users.has(users)) return send(200, { ok: false, error: 'user_not_found' });
        return send(200, { ok: true, channel: { id: `D${users.slice(1)}` } });
      }
      case 'reactions.add': {
        const bad = channelCheck(str('channel'));
        if (bad) return send(200, { ok: false, error: bad });
        if (!str('name') || !str('timestamp')) return send(200, { ok: false, error: 'invalid_arguments' });
        return send(200, { ok: true });
      }
      case 'users.info': {
        const u = this.users.get(str('user') ?? '');
        if (!u) return send(200, { ok: false, error: 'user_not_found' });
        return send(200, {
          ok: true,
          user: {
            id: u.id,
            team_id: bot.teamId,
            name: u.name,
            real_name: u.real_name ?? u.name,
            deleted: false,
            is_bot: u.is_bot ?? false,
            tz: 'Europe/Amsterdam',
            profile: { display_name: u.display_name ?? '', real_name: u.real_name ?? u.name, image_72: '' },
          },
        });
      }
      case 'files.getUploadURLExternal': {
        const filename = str('filename');
        const length = Number(str('length'));
        if (!filename || !Number.isInteger(length) || length <= 0)
          return send(200, { ok: false, error: 'invalid_arguments' });
        this.seq += 1;
        const id = `F0UP${String(this.seq).padStart(6, '0')}`;
        this.files.set(id, {
          id,
          name: filename,
          mimetype: 'application/octet-stream',
          bytes: Buffer.alloc(0),
          token,
          completed: false,
        });
        return send(200, { ok: true, upload_url: `${this.baseUrl}/upload/v1/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal': {
        let files: { id: string; title?: string }[];
        try {
          files = JSON.parse(str('files') ?? '[]');
        } catch {
          return send(200, { ok: false, error: 'invalid_arguments' });
        }
        const channel = str('channel_id');
        if (channel) {
          const bad = channelCheck(channel);
          if (bad) return send(200, { ok: false, error: bad });
        }
        const out = [];
        for (const f of files) {
          const rec = this.files.get(f.id);
          if (!rec || rec.token !== token || !rec.bytes.length)
            return send(200, { ok: false, error: 'file_not_found' });
          rec.completed = true;
          rec.channel = channel;
          out.push({ id: rec.id, title: f.title ?? rec.name, name: rec.name, size: rec.bytes.length });
        }
        return send(200, { ok: true, files: out });
      }
      case 'files.info': {
        const f = this.files.get(str('file') ?? '');
        if (!f) return send(200, { ok: false, error: 'file_not_found' });
        const url = `${this.baseUrl}/files-pri/${bot.teamId}-${f.id}/download/${encodeURIComponent(f.name)}`;
        return send(200, {
          ok: true,
          file: {
            id: f.id,
            name: f.name,
            mimetype: f.mimetype,
            size: f.bytes.length,
            url_private: url,
            url_private_download: url,
          },
        });
      }
      default:
        return send(200, { ok: false, error: 'unknown_method' });
    }
  }

  private lastFileBytes: Buffer | null = null;

  private async parseBody(type: string, raw: Buffer): Promise<Record<string, unknown>> {
    this.lastFileBytes = null;
    if (!raw.length) return {};
    if (type.startsWith('application/json')) return JSON.parse(raw.toString('utf8'));
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': type } }).formData();
      const out: Record<string, unknown> = {};
      for (const [k, v] of form.entries()) {
        if (typeof v === 'string') out[k] = v;
        else {
          const bytes = Buffer.from(await v.arrayBuffer());
          out[k] = { fileName: v.name, size: bytes.length, contentType: v.type };
          this.lastFileBytes = bytes;
        }
      }
      return out;
    }
    return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  }
}
