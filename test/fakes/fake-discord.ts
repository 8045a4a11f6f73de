import { createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * Local stand-in for Discord (REST API v10 + Gateway + signed Interactions) on 127.0.0.1, speaking
 * the wire format that `@discordjs/rest` 2.x and `@discordjs/ws` 2.x really use
 * (shared/providers/slack-discord.md §A, §B4, §D; PROVIDERS.md §6):
 *
 * REST (`{apiUrl}/v10/...`, `Authorization: Bot <token>`):
 * - `GET /users/@me` → the bot user; `GET /gateway/bot` → `{url: ws://127.0.0.1:PORT, shards,
 *   session_start_limit}` so the Gateway connects here too.
 * - `POST /channels/:id/messages` (JSON, or multipart `payload_json` + `files[n]`) → 200 Message;
 *   `GET /channels/:id/messages/:mid`; `PUT|DELETE /channels/:id/messages/:mid/reactions/:emoji/@me`
 *   → 204; `POST /channels/:id/typing` → 204; `POST /users/@me/channels {recipient_id}` → DM channel.
 * - `GET /attachments/:name` (not Discord's API: the CDN) serves registered files.
 * - Every answer carries `X-RateLimit-*`; errors are `{code, message, errors?}`; 429s carry
 *   `Retry-After` (s) and `{message, retry_after, global}`. A bad token → 401 `{code: 0}`.
 *
 * Gateway (same port, text frames only): HELLO → IDENTIFY (4004 on a bad token, 4014 when an intent
 * in `disallowedIntents` is asked for) → READY (`resume_gateway_url` pointing here) → dispatches;
 * op 1 → op 11; RESUME replays what the session missed, then RESUMED; unknown sessions get op 9
 * false. Without MESSAGE_CONTENT (1<<15) in the IDENTIFY intents, guild MESSAGE_CREATE/UPDATE go out
 * with empty `content`, `embeds`, `attachments` (except mentions of the bot), like Discord.
 *
 * Interactions: {@link FakeDiscord.signInteraction} signs `timestamp + body` with Ed25519 (the
 * RFC 8032 TEST 1 key, public key {@link FakeDiscord.publicKeyHex}).
 */

/** RFC 8032 §7.1 TEST 1 seed (PROVIDERS.md §8 #4). */
const ED25519_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const PKCS8_ED25519_PREFIX = '302e020100300506032b657004220420';

export const INTENTS = {
  GUILDS: 1,
  GUILD_MESSAGES: 1 << 9,
  GUILD_MESSAGE_REACTIONS: 1 << 10,
  DIRECT_MESSAGES: 1 << 12,
  DIRECT_MESSAGE_REACTIONS: 1 << 13,
  MESSAGE_CONTENT: 1 << 15,
} as const;

export interface FakeBot {
  token: string;
  id: string;
  username: string;
}

export interface RecordedDiscordRequest {
  method: string;
  /** Path after `/api/v10`, e.g. `/channels/77/messages`; percent-encoding kept as sent. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** JSON body (or the parsed `payload_json` of a multipart body). */
  body: Record<string, unknown> | null;
  /** Multipart file parts: form name (`files[0]`), filename, content type and bytes. */
  files: { name: string; filename: string; contentType: string; data: Buffer }[];
  token: string | null;
}

export interface InjectedError {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** One Gateway connection as the fake saw it. */
export interface GatewayConnection {
  ws: WebSocket;
  /** Frames the client sent, parsed (IDENTIFY, RESUME, heartbeats). */
  received: { op: number; d: unknown }[];
  /** Session of this connection (after IDENTIFY or RESUME). */
  session?: GatewaySession;
  closedWith?: number;
}

interface GatewaySession {
  id: string;
  token: string;
  intents: number;
  seq: number;
  /** Dispatches sent in this session, for RESUME replay. */
  sent: { s: number; t: string; d: unknown }[];
  live?: GatewayConnection;
}

export class FakeDiscord {
  readonly requests: RecordedDiscordRequest[] = [];
  readonly connections: GatewayConnection[] = [];
  /** Bits a bot may not ask for (privileged intents not enabled in the "Developer Portal"). */
  disallowedIntents = 0;
  /** Next IDENTIFY of these tokens is closed with 4004. */
  readonly revokedTokens = new Set<string>();
  private readonly bots = new Map<string, FakeBot>();
  private readonly sessions = new Map<string, GatewaySession>();
  private readonly messages = new Map<string, Record<string, unknown>>();
  private readonly files = new Map<string, { data: Buffer; contentType: string }>();
  private readonly dmChannels = new Map<string, string>();
  private readonly failures: { match: (method: string, path: string) => boolean; error: InjectedError }[] =
    [];
  private readonly listeners: ((r: RecordedDiscordRequest) => void)[] = [];
  private nextId = 1_100_000_000_000_000_000n;
  private wss!: WebSocketServer;

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {}

  static async start(port = 0): Promise<FakeDiscord> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const fake = new FakeDiscord(server, (server.address() as AddressInfo).port);
    server.on('request', (req, res) => void fake.handle(req, res));
    fake.wss = new WebSocketServer({ server });
    fake.wss.on('connection', (ws) => fake.onGateway(ws));
    return fake;
  }

  /** `DISCORD_API_URL` for the gateway (the `@discordjs/rest` `api` option). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Hex Ed25519 public key of the signer (the application's "Public Key" in the Developer Portal). */
  static get publicKeyHex(): string {
    const der = createPublicKey(FakeDiscord.privateKey()).export({ format: 'der', type: 'spki' });
    return der.subarray(der.length - 32).toString('hex');
  }

  private static privateKey() {
    return createPrivateKey({
      key: Buffer.concat([Buffer.from(PKCS8_ED25519_PREFIX, 'hex'), Buffer.from(ED25519_SEED, 'hex')]),
      format: 'der',
      type: 'pkcs8',
    });
  }

  /** `X-Signature-Ed25519` / `X-Signature-Timestamp` headers for `body` as Discord would send them. */
  static signInteraction(body: string, timestamp = String(Math.floor(Date.now() / 1000))) {
    const signature = sign(null, Buffer.from(timestamp + body), FakeDiscord.privateKey()).toString('hex');
    return { 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp };
  }

  addBot(token: string, bot: Partial<Omit<FakeBot, 'token'>> = {}): FakeBot {
    const b: FakeBot = { token, id: bot.id ?? this.snowflake(), username: bot.username ?? 'fakebot' };
    this.bots.set(token, b);
    return b;
  }

  /** A file served at `GET /attachments/<name>` (the CDN URL of an attachment). */
  addFile(name: string, data: Buffer, contentType: string): string {
    this.files.set(name, { data, contentType });
    return `http://127.0.0.1:${this.port}/attachments/${name}`;
  }

  /** Makes `GET /channels/:c/messages/:id` find this message (attachments to download). */
  addMessage(message: Record<string, unknown>): void {
    this.messages.set(`${message.channel_id as string}:${message.id as string}`, message);
  }

  /** The next request matching `method` and `path` (a string prefix or a RegExp) fails with `error`. */
  failNext(method: string, path: string | RegExp, error: InjectedError): void {
    const match = (m: string, p: string) =>
      m === method && (typeof path === 'string' ? p.startsWith(path) : path.test(p));
    this.failures.push({ match, error });
  }

  calls(method: string, path: string | RegExp): RecordedDiscordRequest[] {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
    );
  }

  /** Calls `listener` for every REST request (the sandbox logs them). */
  onRequest(listener: (r: RecordedDiscordRequest) => void): void {
    this.listeners.push(listener);
  }

  /** Live Gateway connections (open sockets with a session). */
  live(): GatewayConnection[] {
    return this.connections.filter((c) => c.ws.readyState === WebSocket.OPEN && c.session);
  }

  /** Sends a dispatch `t` with `d` to every live session of `token` (buffered for RESUME). */
  dispatch(token: string, t: string, d: Record<string, unknown>): number {
    let sent = 0;
    for (const s of this.sessions.values()) {
      if (s.token !== token) continue;
      const data = this.withoutContentIfNeeded(s, t, d);
      s.seq += 1;
      s.sent.push({ s: s.seq, t, d: data });
      if (s.live && s.live.ws.readyState === WebSocket.OPEN) {
        s.live.ws.send(JSON.stringify({ op: 0, t, s: s.seq, d: data }));
        sent += 1;
      }
    }
    return sent;
  }

  /** Sends op 7 RECONNECT on every live connection. */
  requestReconnect(): void {
    for (const c of this.live()) c.ws.send(JSON.stringify({ op: 7, d: null }));
  }

  /** Closes every live connection with `code` (e.g. 4000 unknown error, which clients resume after). */
  closeAll(code: number, reason = ''): void {
    for (const c of this.live()) c.ws.close(code, reason);
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  snowflake(): string {
    this.nextId += 1n;
    return String(this.nextId);
  }

  // ---- Gateway ----

  private onGateway(ws: WebSocket): void {
    const conn: GatewayConnection = { ws, received: [] };
    this.connections.push(conn);
    const send = (p: unknown) => ws.send(JSON.stringify(p));
    ws.on('close', (code) => {
      conn.closedWith = code;
      if (conn.session?.live === conn) conn.session.live = undefined;
    });
    send({ op: 10, d: { heartbeat_interval: 41250 } });
    ws.on('message', (raw) => {
      const p = JSON.parse(String(raw)) as { op: number; d: Record<string, unknown> | null };
      conn.received.push({ op: p.op, d: p.d });
      if (p.op === 1) return send({ op: 11, d: null });
      if (p.op === 2) return this.identify(conn, p.d as Record<string, unknown>);
      if (p.op === 6) return this.resume(conn, p.d as Record<string, unknown>);
    });
  }

  private identify(conn: GatewayConnection, d: Record<string, unknown>): void {
    const token = String(d.token);
    const bot = this.bots.get(token);
    if (!bot || this.revokedTokens.has(token)) return conn.ws.close(4004, 'Authentication failed.');
    const intents = Number(d.intents);
    if (intents & this.disallowedIntents) return conn.ws.close(4014, 'Disallowed intent(s).');
    const session: GatewaySession = {
      id: randomBytes(16).toString('hex'),
      token,
      intents,
      seq: 0,
      sent: [],
      live: conn,
    };
    this.sessions.set(session.id, session);
    conn.session = session;
    session.seq += 1;
    const ready = {
      v: 10,
      session_id: session.id,
      resume_gateway_url: this.gatewayUrl,
      user: {
        id: bot.id,
        username: bot.username,
        discriminator: '0',
        global_name: null,
        avatar: null,
        bot: true,
      },
      guilds: [],
      shard: d.shard ?? [0, 1],
      application: { id: bot.id, flags: 0 },
    };
    conn.ws.send(JSON.stringify({ op: 0, t: 'READY', s: session.seq, d: ready }));
  }

  private resume(conn: GatewayConnection, d: Record<string, unknown>): void {
    const session = this.sessions.get(String(d.session_id));
    if (!session || session.token !== d.token) return void conn.ws.send(JSON.stringify({ op: 9, d: false }));
    session.live = conn;
    conn.session = session;
    const from = Number(d.seq);
    for (const missed of session.sent.filter((x) => x.s > from)) {
      conn.ws.send(JSON.stringify({ op: 0, t: missed.t, s: missed.s, d: missed.d }));
    }
    session.seq += 1;
    conn.ws.send(JSON.stringify({ op: 0, t: 'RESUMED', s: session.seq, d: null }));
  }

  private withoutContentIfNeeded(s: GatewaySession, t: string, d: Record<string, unknown>) {
    if (s.intents & INTENTS.MESSAGE_CONTENT) return d;
    if (t !== 'MESSAGE_CREATE' && t !== 'MESSAGE_UPDATE') return d;
    const bot = this.bots.get(s.token);
    const mentions = (d.mentions as { id: string }[] | undefined) ?? [];
    const author = d.author as { id?: string } | undefined;
    if (!d.guild_id || author?.id === bot?.id || mentions.some((m) => m.id === bot?.id)) return d;
    return { ...d, content: '', embeds: [], attachments: [], components: [] };
  }

  // ---- REST ----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);

    if (req.method === 'GET' && url.pathname.startsWith('/attachments/')) {
      const file = this.files.get(decodeURIComponent(url.pathname.slice('/attachments/'.length)));
      if (!file) return this.reply(res, 404, { message: '404: Not Found', code: 0 });
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.data.length) });
      return void res.end(file.data);
    }
    if (req.method === 'POST' && url.pathname.startsWith('/sandbox/'))
      return this.sandbox(url.pathname, raw, res);
    if (!url.pathname.startsWith('/api/v10/'))
      return this.reply(res, 404, { message: '404: Not Found', code: 0 });
    const path = url.pathname.slice('/api/v10'.length);
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bot ') ? auth.slice(4) : null;
    const recorded: RecordedDiscordRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body: null,
      files: [],
      token,
    };
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('application/json') && raw.length) {
      recorded.body = JSON.parse(raw.toString('utf8'));
    } else if (type.startsWith('multipart/form-data')) {
      const form = await new Request('http://x/', {
        method: 'POST',
        headers: { 'content-type': type },
        body: raw,
      }).formData();
      for (const [name, value] of form.entries()) {
        if (typeof value === 'string') {
          if (name === 'payload_json') recorded.body = JSON.parse(value);
        } else {
          recorded.files.push({
            name,
            filename: value.name,
            contentType: value.type,
            data: Buffer.from(await value.arrayBuffer()),
          });
        }
      }
    }
    this.requests.push(recorded);
    for (const l of this.listeners) l(recorded);

    if (recorded.method === 'POST' && /^\/interactions\/\d+\/[^/]+\/callback$/.test(path)) {
      res.writeHead(204, this.rateLimitHeaders()); // no bot token needed: the interaction token is the proof
      return void res.end();
    }
    const bot = token ? this.bots.get(token) : undefined;
    if (!bot) return this.reply(res, 401, { message: '401: Unauthorized', code: 0 });
    const failure = this.failures.findIndex((f) => f.match(recorded.method, path));
    if (failure >= 0) {
      const [{ error }] = this.failures.splice(failure, 1);
      return this.reply(res, error.status, error.body, error.headers);
    }
    const m = recorded.method;
    if (m === 'GET' && path === '/users/@me') {
      return this.reply(res, 200, {
        id: bot.id,
        username: bot.username,
        discriminator: '0',
        global_name: null,
        avatar: null,
        bot: true,
        flags: 0,
      });
    }
    if (m === 'GET' && path === '/gateway/bot') {
      return this.reply(res, 200, {
        url: this.gatewayUrl,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
      });
    }
    if (m === 'POST' && path === '/users/@me/channels') {
      const recipient = String(recorded.body?.recipient_id ?? '');
      if (!/^\d{15,21}$/.test(recipient)) {
        return this.reply(res, 400, {
          code: 50035,
          message: 'Invalid Form Body',
          errors: {
            recipient_id: {
              _errors: [{ code: 'NUMBER_TYPE_COERCE', message: `Value "${recipient}" is not snowflake.` }],
            },
          },
        });
      }
      let channel = this.dmChannels.get(recipient);
      if (!channel) this.dmChannels.set(recipient, (channel = this.snowflake()));
      return this.reply(res, 200, {
        id: channel,
        type: 1,
        last_message_id: null,
        flags: 0,
        recipients: [{ id: recipient, username: `user${recipient.slice(-4)}`, discriminator: '0' }],
      });
    }
    let match = /^\/channels\/(\d+)\/messages$/.exec(path);
    if (m === 'POST' && match) {
      const body = recorded.body ?? {};
      const channelId = match[1];
      const message = {
        id: this.snowflake(),
        channel_id: channelId,
        type: body.message_reference ? 19 : 0,
        content: body.content ?? '',
        author: {
          id: bot.id,
          username: bot.username,
          discriminator: '0',
          global_name: null,
          avatar: null,
          bot: true,
        },
        attachments: recorded.files.map((f, i) => ({
          id: this.snowflake(),
          filename: f.filename,
          size: f.data.length,
          url: this.addFile(`${i}-${f.filename}`, f.data, f.contentType),
          proxy_url: `http://127.0.0.1:${this.port}/attachments/${i}-${f.filename}`,
          content_type: f.contentType,
        })),
        embeds: body.embeds ?? [],
        mentions: [],
        mention_roles: [],
        pinned: false,
        mention_everyone: false,
        tts: false,
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
        flags: 0,
        components: [],
        ...(body.message_reference
          ? { message_reference: { ...(body.message_reference as object), channel_id: channelId } }
          : {}),
      };
      this.addMessage(message);
      return this.reply(res, 200, message);
    }
    match = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path);
    if (m === 'GET' && match) {
      const message = this.messages.get(`${match[1]}:${match[2]}`);
      return message
        ? this.reply(res, 200, message)
        : this.reply(res, 404, { message: 'Unknown Message', code: 10008 });
    }
    match = /^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/@me$/.exec(path);
    if ((m === 'PUT' || m === 'DELETE') && match) {
      let emoji: string;
      try {
        emoji = decodeURIComponent(match[3]);
      } catch {
        return this.reply(res, 400, { message: 'Unknown Emoji', code: 10014 });
      }
      if (emoji === match[3] && /[^\x20-\x7e]/.test(emoji))
        return this.reply(res, 400, { message: 'Unknown Emoji', code: 10014 });
      res.writeHead(204, this.rateLimitHeaders());
      return void res.end();
    }
    match = /^\/webhooks\/(\d+)\/([^/]+)$/.exec(path);
    if (m === 'POST' && match) {
      // an interaction follow-up: a message by the application
      return this.reply(res, 200, {
        id: this.snowflake(),
        channel_id: '0',
        webhook_id: match[1],
        type: 0,
        content: recorded.body?.content ?? '',
        timestamp: new Date().toISOString(),
      });
    }
    if (m === 'POST' && /^\/channels\/\d+\/typing$/.test(path)) {
      res.writeHead(204, this.rateLimitHeaders());
      return void res.end();
    }
    return this.reply(res, 404, { message: '404: Not Found', code: 0 });
  }

  /**
   * Not Discord: `POST /sandbox/message {text, channelId?, userId?, username?, guildId?, token?}`
   * dispatches a MESSAGE_CREATE to the bot's Gateway sessions; `POST /sandbox/interaction {url, body}`
   * signs `body` like Discord and POSTs it to `url` (the gateway's Interactions endpoint).
   */
  private async sandbox(path: string, raw: Buffer, res: http.ServerResponse): Promise<void> {
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(raw.toString('utf8') || '{}');
    } catch {
      return this.reply(res, 400, { error: 'body must be JSON' });
    }
    if (path === '/sandbox/message') {
      const token = typeof input.token === 'string' ? input.token : [...this.bots.keys()][0];
      const d = {
        id: this.snowflake(),
        channel_id: String(input.channelId ?? '1312345678900000002'),
        ...(input.guildId === null ? {} : { guild_id: String(input.guildId ?? '1312345678900000100') }),
        type: 0,
        content: String(input.text ?? 'hello from the sandbox'),
        author: {
          id: String(input.userId ?? '1300000000000000001'),
          username: String(input.username ?? 'alice'),
          global_name: null,
          discriminator: '0',
          avatar: null,
        },
        attachments: [],
        embeds: [],
        mentions: [],
        mention_roles: [],
        mention_everyone: false,
        pinned: false,
        tts: false,
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
        flags: 0,
        components: [],
      };
      this.addMessage(d);
      return this.reply(res, 200, { dispatchedTo: this.dispatch(token, 'MESSAGE_CREATE', d), message: d });
    }
    if (path === '/sandbox/interaction' && typeof input.url === 'string') {
      const body = JSON.stringify(
        input.body ?? { id: this.snowflake(), type: 1, version: 1, token: 'sandbox' },
      );
      const answer = await fetch(input.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...FakeDiscord.signInteraction(body) },
        body,
      });
      return this.reply(res, 200, { status: answer.status, body: await answer.text() });
    }
    return this.reply(res, 404, { error: 'unknown sandbox route' });
  }

  private rateLimitHeaders(): Record<string, string> {
    return {
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '4',
      'x-ratelimit-reset': String(Date.now() / 1000 + 5),
      'x-ratelimit-reset-after': '5.000',
      'x-ratelimit-bucket': 'fakebucket',
    };
  }

  private reply(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, { 'content-type': 'application/json', ...this.rateLimitHeaders(), ...headers });
    res.end(JSON.stringify(body));
  }
}

/** A 429 exactly as Discord sends it (rate-limits.mdx): `Retry-After` in seconds plus the JSON body. */
export function rateLimited(retryAfterSeconds: number): InjectedError {
  return {
    status: 429,
    body: { message: 'You are being rate limited.', retry_after: retryAfterSeconds, global: false },
    headers: {
      'retry-after': String(retryAfterSeconds),
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset-after': String(retryAfterSeconds),
      'x-ratelimit-scope': 'user',
    },
  };
}
