import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

/**
 * Local stand-in for the Telegram Bot API (https://core.telegram.org/bots/api), speaking the real wire format
 * over real HTTP on 127.0.0.1 so that grammY (or any HTTP client) can be pointed at it via `apiRoot`.
 *
 * Wire format recap (see /work/shared/PROVIDERS.md §1):
 * - `GET|POST /bot<token>/<method>` (method name case-insensitive; `/bot<token>/test/<method>` also accepted);
 *   params from the query string, `application/json`, `application/x-www-form-urlencoded` or
 *   `multipart/form-data`.
 * - success: HTTP 200 `{"ok":true,"result":<T>}`; failure: HTTP <error_code>
 *   `{"ok":false,"error_code":<int>,"description":"<text>","parameters"?:{retry_after?,migrate_to_chat_id?}}`.
 * - `GET /file/bot<token>/<file_path>` serves bytes registered with {@link FakeTelegramApi.addFile} (or uploaded
 *   via multipart).
 * - `POST /sandbox/inbound` (not part of Telegram) — see {@link FakeTelegramApi.simulateInbound}.
 */

/** A Telegram `User` object as returned by `getMe` (the bot's own identity). */
export interface FakeBotInfo {
  id: number;
  is_bot: true;
  first_name: string;
  username: string;
  can_join_groups: boolean;
  can_read_all_group_messages: boolean;
  supports_inline_queries: boolean;
}

/** Metadata recorded for a multipart file part (the bytes themselves are kept internally). */
export interface UploadedFileInfo {
  /** File name from the part's `content-disposition` (grammY sends e.g. `photo.jpg` when none was given). */
  filename: string;
  /** Size in bytes. */
  size: number;
  /** Part `content-type` (grammY always sends `application/octet-stream`). */
  contentType: string;
}

/** One recorded Bot API call. */
export interface RecordedTelegramCall {
  /** Bot token from the URL path (recorded even when unknown → 401). */
  token: string;
  /** Canonical camelCase method name when known (e.g. `sendMessage`), otherwise as sent in the URL. */
  method: string;
  /**
   * Parsed params, query string merged with the body. JSON bodies keep JSON types (numbers stay numbers);
   * form-urlencoded and multipart fields are strings (objects arrive JSON-encoded as strings); multipart files
   * are {@link UploadedFileInfo}. A multipart field whose value is `attach://<part>` is replaced by the
   * referenced file's info (and the part itself is not listed separately).
   */
  params: Record<string, unknown>;
  at: Date;
}

/** Error body (minus `ok:false`) to return from an injected failure; HTTP status = `error_code`. */
export interface TelegramApiErrorSpec {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/**
 * Telegram's flood limits (Bot FAQ, PROVIDERS.md §1.2), enforced by the fake once
 * {@link FakeTelegramApi.enforceFloodLimits} is called: a `send*` call over any of them answers
 * 429 `Too Many Requests: retry after N` with `parameters.retry_after` = N (s) and is not counted.
 */
export interface FloodLimits {
  /** Sends per bot in any 1 s window. Default 30. */
  perBotPerSecond: number;
  /** Sends per private chat in any 1 s window. Default 1. */
  perChatPerSecond: number;
  /** Sends per group (negative chat id) in any 60 s window. Default 20. */
  perGroupPerMinute: number;
}

/** Registered webhook of a bot (set via `setWebhook`). */
export interface FakeWebhookRegistration {
  url: string;
  /** `secret_token` passed to setWebhook; sent back as `X-Telegram-Bot-Api-Secret-Token`. */
  secretToken?: string;
  allowedUpdates?: string[];
  maxConnections?: number;
}

/** Telegram `File` object as returned by `getFile`. */
export interface FakeTelegramFile {
  file_id: string;
  file_unique_id: string;
  /** Size in bytes. */
  file_size: number;
  /** Path to use with `GET /file/bot<token>/<file_path>`. */
  file_path: string;
}

/** Input of {@link FakeTelegramApi.simulateInbound}. */
export interface SimulatedInbound {
  /** Bot token; may be omitted when exactly one bot is registered. */
  token?: string;
  /** Private chat id = sender user id. Default 424242. */
  chatId?: number;
  text: string;
  /** Sender first name. Default `Alice`. */
  firstName?: string;
}

/** Result of {@link FakeTelegramApi.simulateInbound}. */
export interface SimulatedInboundResult {
  /** The Update that was built (with `update_id`). */
  update: Record<string, unknown>;
  /** `webhook` when POSTed to the bot's registered webhook, `queued` when queued for getUpdates. */
  delivery: 'webhook' | 'queued';
  /** HTTP status returned by the webhook (only for `webhook`). */
  status?: number;
  /** Response body returned by the webhook (only for `webhook`). */
  body?: string;
}

type Params = Record<string, unknown>;

interface BotState {
  token: string;
  info: FakeBotInfo;
  webhook?: FakeWebhookRegistration;
  /** Unconfirmed updates, ascending update_id. */
  updates: Array<Record<string, unknown> & { update_id: number }>;
  nextUpdateId: number;
  /** allowed_updates as last given by getUpdates/setWebhook; undefined = Telegram default. */
  allowedUpdates?: string[];
  /** Currently waiting long poll, if any. */
  activePoll?: (reason: PollWake) => void;
  /** Wakers of waiting long polls that want to re-check the queue. */
  pollWakers: Set<(reason: PollWake) => void>;
}

type PollWake = 'update' | 'timeout' | 'conflict' | 'closed' | 'webhook';

interface StoredFile {
  fileId: string;
  fileUniqueId: string;
  bytes: Buffer;
  filePath: string;
}

interface CallContext {
  bot: BotState;
  params: Params;
  req: http.IncomingMessage;
  res: http.ServerResponse;
}

type Handler = (ctx: CallContext) => unknown;

type MediaKind = 'photo' | 'video' | 'audio' | 'voice' | 'document' | 'sticker' | 'animation' | 'video_note';

/** Thrown by handlers to produce an `{"ok":false,...}` response. */
class ApiFault extends Error {
  constructor(readonly spec: TelegramApiErrorSpec) {
    super(spec.description);
  }
}

const badRequest = (what: string): ApiFault =>
  new ApiFault({ error_code: 400, description: `Bad Request: ${what}` });

const UNAUTHORIZED: TelegramApiErrorSpec = { error_code: 401, description: 'Unauthorized' };
const NOT_FOUND: TelegramApiErrorSpec = { error_code: 404, description: 'Not Found' };
const WEBHOOK_CONFLICT: TelegramApiErrorSpec = {
  error_code: 409,
  description:
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
};
const POLL_CONFLICT: TelegramApiErrorSpec = {
  error_code: 409,
  description:
    'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
};

/** Longest long-poll wait in ms, whatever `timeout` the client asks for (keeps tests fast). */
const MAX_POLL_WAIT_MS = 2000;
/** Largest request body accepted, in bytes (Telegram's upload limit is 50 MB). */
const MAX_BODY_BYTES = 60 * 1024 * 1024;
const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;
/** Update types that Telegram does not deliver unless explicitly listed in `allowed_updates`. */
const OPT_IN_UPDATE_TYPES = ['chat_member', 'message_reaction', 'message_reaction_count'];
/** Emoji accepted by setMessageReaction (from @grammyjs/types ReactionTypeEmoji), compared without U+FE0F. */
const REACTION_EMOJI = new Set(
  (
    '👍 👎 ❤ 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤‍🔥 🌚 🌭 💯 🤣 ⚡ 🍌 🏆 💔 🤨 😐 🍓 🍾 💋 🖕 😈 ' +
    '😴 😭 🤓 👻 👨‍💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘 🙉 🦄 😘 💊 🙊 😎 👾 🤷‍♂ 🤷 🤷‍♀ 😡'
  ).split(' '),
);
/** Real-looking file_id prefixes per media kind. */
const FILE_ID_PREFIX: Record<MediaKind, string> = {
  photo: 'AgACAgIAAxkBAA',
  video: 'BAACAgIAAxkBAA',
  audio: 'CQACAgIAAxkBAA',
  voice: 'AwACAgIAAxkBAA',
  document: 'BQACAgIAAxkBAA',
  sticker: 'CAACAgIAAxkBAA',
  animation: 'CgACAgIAAxkBAA',
  video_note: 'DQACAgIAAxkBAA',
};
const DEFAULT_EXT: Record<MediaKind, string> = {
  photo: 'jpg',
  video: 'mp4',
  audio: 'mp3',
  voice: 'oga',
  document: 'dat',
  sticker: 'webp',
  animation: 'mp4',
  video_note: 'mp4',
};
const DEFAULT_MIME: Record<MediaKind, string> = {
  photo: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/mpeg',
  voice: 'audio/ogg',
  document: 'application/octet-stream',
  sticker: 'image/webp',
  animation: 'video/mp4',
  video_note: 'video/mp4',
};
/** file_size reported for media sent by URL or by an unknown file_id (bytes). */
const NOMINAL_FILE_SIZE = 12345;

/** Bytes of uploaded multipart files, keyed by their recorded info object. */
const uploadBytes = new WeakMap<UploadedFileInfo, Buffer>();

/** Fake Telegram Bot API server. Create with {@link FakeTelegramApi.start}. */
export class FakeTelegramApi {
  private readonly bots = new Map<string, BotState>();
  private readonly files = new Map<string, StoredFile>();
  private readonly filesByPath = new Map<string, StoredFile>();
  private readonly recorded: RecordedTelegramCall[] = [];
  private readonly failures = new Map<string, Array<{ error: TelegramApiErrorSpec; remaining: number }>>();
  private readonly messageCounters = new Map<string, number>();
  private readonly callListeners = new Set<(call: RecordedTelegramCall) => void>();
  private readonly handlers: Record<string, Handler>;
  /** lower-case method name → canonical camelCase name. */
  private readonly canonical = new Map<string, string>();
  private fileCounter = 0;
  private stopped = false;
  private flood?: FloodLimits;
  /** Flood windows: key → times (ms) of the counted sends, oldest first. */
  private readonly floodWindows = new Map<string, number[]>();
  private floodAnswers = 0;

  private constructor(private readonly server: http.Server) {
    this.handlers = this.buildHandlers();
    for (const name of Object.keys(this.handlers)) this.canonical.set(name.toLowerCase(), name);
  }

  /** Starts the server on 127.0.0.1 (`port` 0 = random free port, the default). */
  static async start(opts: { port?: number } = {}): Promise<FakeTelegramApi> {
    const server = http.createServer();
    const api = new FakeTelegramApi(server);
    server.on('request', (req, res) => void api.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return api;
  }

  /** Port the server listens on. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Value for grammY's `client.apiRoot` / `TELEGRAM_API_ROOT`: `http://127.0.0.1:<port>` (no trailing slash). */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops listening, ends pending long polls and destroys all sockets (including keep-alive ones). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const bot of this.bots.values()) {
      for (const wake of [...bot.pollWakers]) wake('closed');
    }
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Bots, files, recording, fault injection

  /**
   * Registers a valid bot token; calls with any other token get HTTP 401. The bot id defaults to the numeric
   * part of the token before `:` (e.g. `123456` for `123456:ABC`). Returns the `getMe` user object.
   */
  addBot(
    token: string,
    info: Partial<{ id: number; first_name: string; username: string }> = {},
  ): FakeBotInfo {
    const prefix = token.split(':')[0];
    const idFromToken = /^\d+$/.test(prefix) ? Number(prefix) : 1_000_000 + this.bots.size;
    const botInfo: FakeBotInfo = {
      id: info.id ?? idFromToken,
      is_bot: true,
      first_name: info.first_name ?? 'Test Bot',
      username: info.username ?? 'test_bot',
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
    };
    const existing = this.bots.get(token);
    if (existing) {
      existing.info = botInfo;
    } else {
      this.bots.set(token, {
        token,
        info: botInfo,
        updates: [],
        nextUpdateId: 100_000_001,
        pollWakers: new Set(),
      });
    }
    return { ...botInfo };
  }

  /** Webhook registered for the bot via setWebhook, or undefined. */
  webhookFor(token: string): FakeWebhookRegistration | undefined {
    const webhook = this.bots.get(token)?.webhook;
    return webhook ? { ...webhook } : undefined;
  }

  /** Updates queued for getUpdates and not yet confirmed. */
  pendingUpdates(token: string): Array<Record<string, unknown>> {
    return [...(this.bots.get(token)?.updates ?? [])];
  }

  /**
   * Registers downloadable file bytes for `getFile` + `GET /file/bot<token>/<file_path>`. File ids are global
   * (not per bot). `filePath` defaults to `documents/file_<n>`.
   */
  addFile(fileId: string, bytes: Buffer, filePath?: string): FakeTelegramFile {
    const path = filePath ?? `documents/file_${++this.fileCounter}`;
    const previous = this.files.get(fileId);
    if (previous) this.filesByPath.delete(previous.filePath);
    const stored: StoredFile = { fileId, fileUniqueId: uniqueIdFor(fileId), bytes, filePath: path };
    this.files.set(fileId, stored);
    this.filesByPath.set(path, stored);
    return toTelegramFile(stored);
  }

  /** Recorded calls in arrival order, optionally filtered by method name (case-insensitive). */
  calls(method?: string): RecordedTelegramCall[] {
    if (method === undefined) return [...this.recorded];
    const wanted = this.canonicalName(method).toLowerCase();
    return this.recorded.filter((c) => c.method.toLowerCase() === wanted);
  }

  /** Most recent call of `method`, or undefined. */
  lastCall(method: string): RecordedTelegramCall | undefined {
    const all = this.calls(method);
    return all[all.length - 1];
  }

  /** Clears recorded calls and queued failures (bots, webhooks, updates and files are kept). */
  reset(): void {
    this.recorded.length = 0;
    this.failures.clear();
  }

  /** Registers a listener called for every recorded call; returns an unsubscribe function. */
  onCall(listener: (call: RecordedTelegramCall) => void): () => void {
    this.callListeners.add(listener);
    return () => this.callListeners.delete(listener);
  }

  /**
   * The next `times` calls of `method` (any valid token) answer `{"ok":false,...error}` with HTTP status
   * `error.error_code`. Injected failures of one method are consumed in FIFO order.
   */
  failNext(method: string, error: TelegramApiErrorSpec, times = 1): void {
    const key = this.canonicalName(method).toLowerCase();
    const queue = this.failures.get(key) ?? [];
    queue.push({ error: { ...error }, remaining: times });
    this.failures.set(key, queue);
  }

  /** Next call of `method` gets 429 `Too Many Requests: retry after N` with `parameters.retry_after` = N (s). */
  failNextWithFloodWait(method: string, retryAfterSeconds: number, times = 1): void {
    this.failNext(
      method,
      {
        error_code: 429,
        description: `Too Many Requests: retry after ${retryAfterSeconds}`,
        parameters: { retry_after: retryAfterSeconds },
      },
      times,
    );
  }

  /** Enforces Telegram's flood limits on every `send*` call from now on (see {@link FloodLimits}). */
  enforceFloodLimits(limits: Partial<FloodLimits> = {}): void {
    this.flood = { perBotPerSecond: 30, perChatPerSecond: 1, perGroupPerMinute: 20, ...limits };
    this.floodWindows.clear();
  }

  /** Stops enforcing the flood limits (the count of 429s answered is kept). */
  stopFloodLimits(): void {
    this.flood = undefined;
    this.floodWindows.clear();
  }

  /** How many calls the flood limits answered with 429 so far. */
  get floodWaitsAnswered(): number {
    return this.floodAnswers;
  }

  /** Next call of `method` gets 403 `Forbidden: bot was blocked by the user`. */
  blockedByUser(method: string, times = 1): void {
    this.failNext(method, { error_code: 403, description: 'Forbidden: bot was blocked by the user' }, times);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Inbound updates

  /**
   * Queues an update for getUpdates (assigning an incrementing `update_id` if missing) and wakes a waiting
   * long poll. Like Telegram, getUpdates skips `chat_member`, `message_reaction` and `message_reaction_count`
   * updates unless the poller listed them in `allowed_updates`. Returns the queued update.
   */
  pushUpdate(token: string, update: object): Record<string, unknown> & { update_id: number } {
    const bot = this.requireBot(token);
    const queued = this.withUpdateId(bot, update);
    bot.updates.push(queued);
    bot.updates.sort((a, b) => a.update_id - b.update_id);
    for (const wake of [...bot.pollWakers]) wake('update');
    return queued;
  }

  /**
   * POSTs `update` (JSON, assigning `update_id` if missing) to the bot's registered webhook URL (or `opts.url`)
   * with header `X-Telegram-Bot-Api-Secret-Token` = registered secret_token (or `opts.secretToken`; pass
   * `null` to omit the header). Resolves with the receiver's HTTP status and body text; rejects on network
   * errors or when no URL is known.
   */
  async sendWebhookUpdate(
    token: string,
    update: object,
    opts: { secretToken?: string | null; url?: string } = {},
  ): Promise<{ status: number; body: string }> {
    const bot = this.requireBot(token);
    const url = opts.url ?? bot.webhook?.url;
    if (!url)
      throw new Error(`FakeTelegramApi: no webhook registered for bot ${token} and no opts.url given`);
    const secret = opts.secretToken === undefined ? bot.webhook?.secretToken : opts.secretToken;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (secret !== undefined && secret !== null) headers['x-telegram-bot-api-secret-token'] = secret;
    const res = await request(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(this.withUpdateId(bot, update)),
    });
    return { status: res.statusCode, body: await res.body.text() };
  }

  /**
   * Simulates a user writing `text` to the bot in a private chat: builds a realistic `message` Update
   * (`bot_command` entity when the text starts with `/`) and delivers it to the registered webhook if
   * setWebhook was called, otherwise queues it for getUpdates. Also reachable as `POST /sandbox/inbound`
   * with a JSON body of the same shape.
   */
  async simulateInbound(input: SimulatedInbound): Promise<SimulatedInboundResult> {
    const token = input.token ?? this.soleToken();
    const bot = this.requireBot(token);
    const chatId = input.chatId ?? 424242;
    const firstName = input.firstName ?? 'Alice';
    const message: Record<string, unknown> = {
      message_id: this.nextMessageId(token, chatId),
      from: { id: chatId, is_bot: false, first_name: firstName, language_code: 'en' },
      chat: { id: chatId, first_name: firstName, type: 'private' },
      date: unixNow(),
      text: input.text,
    };
    const command = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(input.text);
    if (command) message.entities = [{ offset: 0, length: command[0].length, type: 'bot_command' }];
    const update = this.withUpdateId(bot, { message });
    if (bot.webhook) {
      const { status, body } = await this.sendWebhookUpdate(token, update);
      return { update, delivery: 'webhook', status, body };
    }
    return { update: this.pushUpdate(token, update), delivery: 'queued' };
  }

  // ---------------------------------------------------------------------------------------------------------
  // HTTP plumbing

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const path = url.pathname;
      if (path === '/sandbox/inbound') return await this.handleSandboxInbound(req, res);
      const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(path);
      if (file) return this.handleFileDownload(decodeURIComponent(file[1]), decodeURIComponent(file[2]), res);
      const api = /^\/bot([^/]+)\/(?:test\/)?([^/]+?)\/?$/.exec(path);
      if (api) return await this.handleApiCall(decodeURIComponent(api[1]), api[2], url, req, res);
      sendJson(res, 404, { ok: false, ...NOT_FOUND });
    } catch (err) {
      if (err instanceof ApiFault) {
        sendJson(res, err.spec.error_code, { ok: false, ...err.spec });
      } else {
        sendJson(res, 500, {
          ok: false,
          error_code: 500,
          description: `Internal Server Error: ${String(err)}`,
        });
      }
    }
  }

  private async handleApiCall(
    token: string,
    rawMethod: string,
    url: URL,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const params: Params = {};
    for (const [k, v] of url.searchParams) params[k] = v;
    let parseError: ApiFault | undefined;
    try {
      Object.assign(params, await parseBody(req));
    } catch (err) {
      parseError = err instanceof ApiFault ? err : badRequest(String(err));
    }
    const method = this.canonicalName(rawMethod);
    this.record({ token, method, params: { ...params }, at: new Date() });
    if (parseError) throw parseError;

    const bot = this.bots.get(token);
    if (!bot) throw new ApiFault(UNAUTHORIZED);
    const handler = this.handlers[method];
    const injected = this.takeFailure(method);
    if (injected) throw new ApiFault(injected);
    if (!handler) throw new ApiFault(NOT_FOUND);
    if (this.flood && method.startsWith('send')) this.checkFlood(token, params);
    const result = await handler({ bot, params, req, res });
    sendJson(res, 200, { ok: true, result });
  }

  /** Counts a send against the bot's and the chat's windows, or throws 429 when one is full. */
  private checkFlood(token: string, params: Params): void {
    const limits = this.flood!;
    const chatId = String(params.chat_id ?? '');
    const group = chatId.startsWith('-');
    const windows: [string, number, number][] = [
      [`bot:${token}`, 1000, limits.perBotPerSecond],
      [
        `chat:${token}:${chatId}`,
        group ? 60_000 : 1000,
        group ? limits.perGroupPerMinute : limits.perChatPerSecond,
      ],
    ];
    const now = Date.now();
    for (const [key, windowMs, limit] of windows) {
      const times = (this.floodWindows.get(key) ?? []).filter((t) => t > now - windowMs);
      this.floodWindows.set(key, times);
      if (times.length >= limit) {
        this.floodAnswers += 1;
        const retryAfter = Math.max(1, Math.ceil((times[0] + windowMs - now) / 1000));
        throw new ApiFault({
          error_code: 429,
          description: `Too Many Requests: retry after ${retryAfter}`,
          parameters: { retry_after: retryAfter },
        });
      }
    }
    for (const [key] of windows) this.floodWindows.get(key)!.push(now);
  }

  private handleFileDownload(token: string, filePath: string, res: http.ServerResponse): void {
    if (!this.bots.has(token)) throw new ApiFault(UNAUTHORIZED);
    const stored = this.filesByPath.get(filePath);
    if (!stored) throw new ApiFault(NOT_FOUND);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': stored.bytes.length });
    res.end(stored.bytes);
  }

  private async handleSandboxInbound(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST') throw new ApiFault(NOT_FOUND);
    const body = await parseBody(req);
    if (typeof body.text !== 'string' || body.text === '') throw badRequest('text is required');
    try {
      const result = await this.simulateInbound({
        token: asString(body.token),
        chatId: asNumber(body.chatId),
        text: body.text,
        firstName: asString(body.firstName),
      });
      sendJson(res, 200, { ok: true, result });
    } catch (err) {
      if (err instanceof ApiFault) throw err;
      sendJson(res, 502, { ok: false, error_code: 502, description: String(err) });
    }
  }

  private record(call: RecordedTelegramCall): void {
    this.recorded.push(call);
    for (const listener of this.callListeners) {
      try {
        listener(call);
      } catch {
        // listeners must not break the fake
      }
    }
  }

  private takeFailure(method: string): TelegramApiErrorSpec | undefined {
    const key = method.toLowerCase();
    const queue = this.failures.get(key);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
    if (queue.length === 0) this.failures.delete(key);
    return head.error;
  }

  private canonicalName(method: string): string {
    return this.canonical.get(method.toLowerCase()) ?? method;
  }

  private requireBot(token: string): BotState {
    const bot = this.bots.get(token);
    if (!bot) throw new Error(`FakeTelegramApi: unknown bot token ${token} (call addBot first)`);
    return bot;
  }

  private soleToken(): string {
    if (this.bots.size !== 1) throw badRequest('token is required when zero or several bots are registered');
    return [...this.bots.keys()][0];
  }

  private withUpdateId(bot: BotState, update: object): Record<string, unknown> & { update_id: number } {
    const copy = { ...(update as Record<string, unknown>) };
    const given = asNumber(copy.update_id);
    const updateId = given ?? bot.nextUpdateId;
    bot.nextUpdateId = Math.max(bot.nextUpdateId, updateId + 1);
    return { ...copy, update_id: updateId };
  }

  private nextMessageId(token: string, chatId: number | string): number {
    const key = `${token}|${chatId}`;
    const next = (this.messageCounters.get(key) ?? 0) + 1;
    this.messageCounters.set(key, next);
    return next;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Method implementations

  private buildHandlers(): Record<string, Handler> {
    const ok = () => true;
    return {
      getMe: ({ bot }) => ({ ...bot.info }),
      logOut: ok,
      close: ok,
      sendMessage: ({ bot, params }) => {
        const text = asString(params.text);
        if (!text) throw badRequest('message text is empty');
        if (params.parse_mode === undefined && text.length > TEXT_LIMIT)
          throw badRequest('message is too long');
        const content: Params = { text };
        copyJsonField(params, content, 'entities');
        copyJsonField(params, content, 'link_preview_options');
        return this.buildMessage(bot, params, content);
      },
      sendPhoto: (ctx) => this.sendMedia(ctx, 'photo'),
      sendVideo: (ctx) => this.sendMedia(ctx, 'video'),
      sendAudio: (ctx) => this.sendMedia(ctx, 'audio'),
      sendVoice: (ctx) => this.sendMedia(ctx, 'voice'),
      sendDocument: (ctx) => this.sendMedia(ctx, 'document'),
      sendSticker: (ctx) => this.sendMedia(ctx, 'sticker'),
      sendAnimation: (ctx) => this.sendMedia(ctx, 'animation'),
      sendVideoNote: (ctx) => this.sendMedia(ctx, 'video_note'),
      sendLocation: ({ bot, params }) => {
        const latitude = asNumber(params.latitude);
        const longitude = asNumber(params.longitude);
        if (latitude === undefined || longitude === undefined)
          throw badRequest('wrong latitude or longitude');
        const location: Params = { latitude, longitude };
        const accuracy = asNumber(params.horizontal_accuracy);
        if (accuracy !== undefined) location.horizontal_accuracy = accuracy;
        const livePeriod = asNumber(params.live_period);
        if (livePeriod !== undefined) location.live_period = livePeriod;
        return this.buildMessage(bot, params, { location });
      },
      sendContact: ({ bot, params }) => {
        const phone = asString(params.phone_number);
        const firstName = asString(params.first_name);
        if (!phone) throw badRequest('phone number is empty');
        if (!firstName) throw badRequest('first name is empty');
        const contact: Params = { phone_number: phone, first_name: firstName };
        const lastName = asString(params.last_name);
        if (lastName) contact.last_name = lastName;
        const vcard = asString(params.vcard);
        if (vcard) contact.vcard = vcard;
        return this.buildMessage(bot, params, { contact });
      },
      sendMediaGroup: (ctx) => this.sendMediaGroup(ctx),
      editMessageText: ({ bot, params }) => {
        const text = asString(params.text);
        if (!text) throw badRequest('message text is empty');
        const messageId = asNumber(params.message_id);
        if (messageId === undefined) throw badRequest('message identifier is not specified');
        const chat = chatFor(requireChatId(params));
        const content: Params = { text, edit_date: unixNow() };
        copyJsonField(params, content, 'entities');
        return { message_id: messageId, from: botUser(bot), chat, date: unixNow(), ...content };
      },
      deleteMessage: ({ params }) => {
        requireChatId(params);
        if (asNumber(params.message_id) === undefined)
          throw badRequest('message identifier is not specified');
        return true;
      },
      setMessageReaction: ({ params }) => {
        requireChatId(params);
        if (asNumber(params.message_id) === undefined)
          throw badRequest('message identifier is not specified');
        const reaction = asJson(params.reaction);
        if (reaction !== undefined && !Array.isArray(reaction))
          throw badRequest("can't parse reaction types");
        const list = (reaction ?? []) as Array<Record<string, unknown>>;
        if (list.length > 1) throw badRequest('REACTIONS_TOO_MANY');
        for (const r of list) {
          if (r.type === 'emoji') {
            const emoji = typeof r.emoji === 'string' ? r.emoji.replace(/\uFE0F/g, '') : '';
            if (!REACTION_EMOJI.has(emoji)) throw badRequest('REACTION_INVALID');
          } else if (r.type !== 'custom_emoji' && r.type !== 'paid') {
            throw badRequest('REACTION_INVALID');
          }
        }
        return true;
      },
      sendChatAction: ({ params }) => {
        requireChatId(params);
        if (!asString(params.action)) throw badRequest('wrong parameter action in request');
        return true;
      },
      answerCallbackQuery: ok,
      setMyCommands: ok,
      deleteMyCommands: ok,
      getMyCommands: () => [],
      getChat: ({ params }) => chatFor(requireChatId(params)),
      setWebhook: ({ bot, params }) => {
        const url = asString(params.url) ?? '';
        if (url === '') {
          bot.webhook = undefined;
        } else {
          if (!/^https?:\/\//i.test(url)) throw badRequest('bad webhook: invalid URL');
          const secret = asString(params.secret_token);
          if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
            throw badRequest('secret token contains unallowed characters');
          }
          const allowed = asJson(params.allowed_updates);
          bot.webhook = {
            url,
            secretToken: secret,
            allowedUpdates: Array.isArray(allowed) ? (allowed as string[]) : undefined,
            maxConnections: asNumber(params.max_connections),
          };
          if (Array.isArray(allowed)) bot.allowedUpdates = allowed as string[];
          for (const wake of [...bot.pollWakers]) wake('webhook');
        }
        if (asBool(params.drop_pending_updates)) bot.updates = [];
        return true;
      },
      deleteWebhook: ({ bot, params }) => {
        bot.webhook = undefined;
        if (asBool(params.drop_pending_updates)) bot.updates = [];
        return true;
      },
      getWebhookInfo: ({ bot }) => {
        const info: Params = {
          url: bot.webhook?.url ?? '',
          has_custom_certificate: false,
          pending_update_count: bot.updates.length,
        };
        if (bot.webhook?.maxConnections !== undefined) info.max_connections = bot.webhook.maxConnections;
        if (bot.webhook?.allowedUpdates) info.allowed_updates = bot.webhook.allowedUpdates;
        return info;
      },
      getUpdates: (ctx) => this.getUpdates(ctx),
      getFile: ({ params }) => {
        const fileId = asString(params.file_id);
        const stored = fileId === undefined ? undefined : this.files.get(fileId);
        if (!stored) throw badRequest('invalid file_id');
        return toTelegramFile(stored);
      },
    };
  }

  private async getUpdates({ bot, params, res }: CallContext): Promise<unknown[]> {
    if (bot.webhook) throw new ApiFault(WEBHOOK_CONFLICT);
    const offset = asNumber(params.offset);
    const limit = Math.min(Math.max(asNumber(params.limit) ?? 100, 1), 100);
    const timeoutSeconds = Math.max(asNumber(params.timeout) ?? 0, 0);
    const allowed = asJson(params.allowed_updates);
    if (Array.isArray(allowed)) bot.allowedUpdates = allowed as string[];

    // Only one poller at a time: a new getUpdates terminates the waiting one (as Telegram does).
    bot.activePoll?.('conflict');

    if (offset !== undefined) {
      if (offset < 0) bot.updates = bot.updates.slice(offset);
      else bot.updates = bot.updates.filter((u) => u.update_id >= offset);
    }
    const take = (): unknown[] => {
      bot.updates = bot.updates.filter((u) => this.isAllowed(bot, u));
      return bot.updates.slice(0, limit);
    };
    let batch = take();
    if (batch.length > 0 || timeoutSeconds === 0) return batch;

    const deadline = Date.now() + Math.min(timeoutSeconds * 1000, MAX_POLL_WAIT_MS);
    while (batch.length === 0 && Date.now() < deadline) {
      const reason = await new Promise<PollWake>((resolve) => {
        const timer = setTimeout(() => finish('timeout'), deadline - Date.now());
        const onClose = () => finish('closed');
        const finish = (why: PollWake) => {
          clearTimeout(timer);
          res.off('close', onClose);
          bot.pollWakers.delete(finish);
          if (bot.activePoll === finish) bot.activePoll = undefined;
          resolve(why);
        };
        bot.pollWakers.add(finish);
        bot.activePoll = finish;
        res.on('close', onClose);
      });
      if (reason === 'conflict') throw new ApiFault(POLL_CONFLICT);
      if (reason === 'webhook') throw new ApiFault(WEBHOOK_CONFLICT);
      if (reason === 'closed') return [];
      // woken by an update the poller did not ask for (allowed_updates) → keep waiting
      batch = take();
    }
    return batch;
  }

  private isAllowed(bot: BotState, update: Record<string, unknown>): boolean {
    const type = Object.keys(update).find((k) => k !== 'update_id');
    if (type === undefined) return true;
    const allowed = bot.allowedUpdates;
    if (allowed && allowed.length > 0) return allowed.includes(type);
    return !OPT_IN_UPDATE_TYPES.includes(type);
  }

  /** Common Message skeleton: id, from (the bot), chat, date, reply_to_message, inline reply_markup. */
  private buildMessage(bot: BotState, params: Params, content: Params): Params {
    const chatId = requireChatId(params);
    const chat = chatFor(chatId);
    const message: Params = {
      message_id: this.nextMessageId(bot.token, chat.id as number | string),
      from: botUser(bot),
      chat,
      date: unixNow(),
    };
    const thread = asNumber(params.message_thread_id);
    if (thread !== undefined) message.message_thread_id = thread;
    const reply = asJson(params.reply_parameters) as Params | undefined;
    const replyToId = asNumber(reply?.message_id) ?? asNumber(params.reply_to_message_id);
    if (replyToId !== undefined) {
      const replyChatId = reply?.chat_id !== undefined ? parseChatId(reply.chat_id) : undefined;
      message.reply_to_message = {
        message_id: replyToId,
        chat: replyChatId !== undefined ? chatFor(replyChatId) : chat,
        date: unixNow(),
      };
    }
    Object.assign(message, content);
    const markup = asJson(params.reply_markup) as Params | undefined;
    if (markup && Array.isArray(markup.inline_keyboard)) message.reply_markup = markup;
    return message;
  }

  private sendMedia({ bot, params }: CallContext, kind: MediaKind): Params {
    requireChatId(params);
    const input = resolveAttach(params[kind], params);
    if (input === undefined || input === '') throw badRequest(`there is no ${kind} in the request`);
    const content: Params = { [kind]: this.mediaObject(kind, input, params) };
    if (kind === 'photo') content.photo = this.photoSizes(content.photo as Params);
    this.addCaption(params, content);
    return this.buildMessage(bot, params, content);
  }

  private sendMediaGroup({ bot, params }: CallContext): Params[] {
    requireChatId(params);
    const media = asJson(params.media);
    if (!Array.isArray(media) || media.length < 2 || media.length > 10) {
      throw badRequest('wrong number of messages in the media group');
    }
    const groupId = String(10_000_000_000_000 + Math.floor(Math.random() * 1e12));
    return (media as Params[]).map((item, index) => {
      const kind = (asString(item.type) ?? 'document') as MediaKind;
      if (!(kind in FILE_ID_PREFIX)) throw badRequest(`wrong media type in media group item #${index + 1}`);
      const input = resolveAttach(item.media, params);
      if (input === undefined) throw badRequest(`there is no media in media group item #${index + 1}`);
      const obj = this.mediaObject(kind, input, item);
      const content: Params = {
        media_group_id: groupId,
        [kind]: kind === 'photo' ? this.photoSizes(obj) : obj,
      };
      this.addCaption(item, content);
      // only the first message carries the reply
      return this.buildMessage(bot, index === 0 ? params : { chat_id: params.chat_id }, content);
    });
  }

  private addCaption(params: Params, content: Params): void {
    const caption = asString(params.caption);
    if (caption === undefined || caption === '') return;
    if (params.parse_mode === undefined && caption.length > CAPTION_LIMIT) {
      throw badRequest('message caption is too long');
    }
    content.caption = caption;
    copyJsonField(params, content, 'caption_entities');
  }

  /**
   * Builds the media object for `kind` from a file_id string (echoed), an http(s) URL (synthetic file_id) or an
   * uploaded file (synthetic file_id; bytes registered so that getFile works on the returned id).
   */
  private mediaObject(kind: MediaKind, input: unknown, params: Params): Params {
    let fileId: string;
    let size = NOMINAL_FILE_SIZE;
    let fileName: string | undefined;
    let mimeType = DEFAULT_MIME[kind];
    if (isUpload(input)) {
      fileId = syntheticFileId(kind);
      size = input.size;
      fileName = input.filename;
      if (input.contentType !== 'application/octet-stream') mimeType = input.contentType;
      const ext = /\.([A-Za-z0-9]+)$/.exec(input.filename)?.[1] ?? DEFAULT_EXT[kind];
      this.addFile(
        fileId,
        uploadBytes.get(input) ?? Buffer.alloc(input.size),
        `${kind}s/file_${++this.fileCounter}.${ext}`,
      );
    } else if (typeof input === 'string' && /^https?:\/\//i.test(input)) {
      fileId = syntheticFileId(kind);
      const last = new URL(input).pathname.split('/').pop();
      fileName = last ? decodeURIComponent(last) : undefined;
    } else if (typeof input === 'string') {
      if (input.startsWith('attach://')) throw badRequest('wrong file identifier/HTTP URL specified');
      fileId = input;
      const stored = this.files.get(input);
      if (stored) size = stored.bytes.length;
    } else {
      throw badRequest('wrong file identifier/HTTP URL specified');
    }
    const obj: Params = {
      file_id: fileId,
      file_unique_id: this.files.get(fileId)?.fileUniqueId ?? uniqueIdFor(fileId),
    };
    const duration = asNumber(params.duration) ?? 10;
    switch (kind) {
      case 'photo':
        Object.assign(obj, { width: 1280, height: 960 });
        break;
      case 'video':
      case 'animation':
        Object.assign(obj, {
          width: asNumber(params.width) ?? 1280,
          height: asNumber(params.height) ?? 720,
          duration,
          mime_type: mimeType,
        });
        if (fileName) obj.file_name = fileName;
        break;
      case 'video_note':
        Object.assign(obj, { length: asNumber(params.length) ?? 240, duration });
        break;
      case 'audio':
        Object.assign(obj, { duration, mime_type: mimeType });
        if (fileName) obj.file_name = fileName;
        for (const key of ['title', 'performer']) {
          const value = asString(params[key]);
          if (value) obj[key] = value;
        }
        break;
      case 'voice':
        Object.assign(obj, { duration, mime_type: mimeType });
        break;
      case 'document':
        obj.file_name = fileName ?? 'file';
        obj.mime_type = fileName ? guessMime(fileName) : mimeType;
        break;
      case 'sticker':
        Object.assign(obj, { type: 'regular', width: 512, height: 512, is_animated: false, is_video: false });
        break;
    }
    obj.file_size = size;
    return obj;
  }

  /** PhotoSize[] ascending by size: a 320x240 thumbnail plus the full photo (which carries the echoed file_id). */
  private photoSizes(full: Params): Params[] {
    const thumbId = syntheticFileId('photo');
    return [
      { file_id: thumbId, file_unique_id: uniqueIdFor(thumbId), width: 320, height: 240, file_size: 9876 },
      full,
    ];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

function botUser(bot: BotState): Params {
  return { id: bot.info.id, is_bot: true, first_name: bot.info.first_name, username: bot.info.username };
}

/** chat_id as number when numeric (JSON number or numeric string), else the string (e.g. `@channel`). */
function parseChatId(value: unknown): number | string | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value !== '') return /^-?\d+$/.test(value) ? Number(value) : value;
  return undefined;
}

function requireChatId(params: Params): number | string {
  const chatId = parseChatId(params.chat_id);
  if (chatId === undefined) throw badRequest('chat_id is empty');
  return chatId;
}

/**
 * Chat object for a chat_id: positive → private chat `{id, type:'private', first_name:'Chat'}`; `-100…` →
 * supergroup; other negative → group; `@name` → channel with a synthetic negative id.
 */
function chatFor(chatId: number | string): Params {
  if (typeof chatId === 'string') {
    const username = chatId.replace(/^@/, '');
    const id =
      -1_000_000_000_000 -
      (parseInt(createHash('sha1').update(username).digest('hex').slice(0, 8), 16) % 1e9);
    return { id, title: username, username, type: 'channel' };
  }
  if (chatId > 0) return { id: chatId, type: 'private', first_name: 'Chat' };
  if (chatId <= -1_000_000_000_000) return { id: chatId, title: 'Chat', type: 'supergroup' };
  return { id: chatId, title: 'Chat', type: 'group' };
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function asBool(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

/** Objects/arrays as given (JSON bodies) or parsed from their JSON-string form (form/multipart bodies). */
function asJson(value: unknown): unknown {
  if (typeof value === 'string' && /^\s*[[{]/.test(value)) {
    try {
      return JSON.parse(value);
    } catch {
      throw badRequest("can't parse JSON object");
    }
  }
  return value ?? undefined;
}

function copyJsonField(from: Params, to: Params, key: string): void {
  const value = asJson(from[key]);
  if (value !== undefined) to[key] = value;
}

function isUpload(value: unknown): value is UploadedFileInfo {
  return typeof value === 'object' && value !== null && uploadBytes.has(value as UploadedFileInfo);
}

/** Resolves `attach://<part>` to the uploaded file part of that name. */
function resolveAttach(value: unknown, params: Params): unknown {
  if (typeof value === 'string' && value.startsWith('attach://')) {
    const part = params[value.slice('attach://'.length)];
    if (isUpload(part)) return part;
  }
  return value;
}

function syntheticFileId(kind: MediaKind): string {
  return FILE_ID_PREFIX[kind] + randomBytes(36).toString('base64url');
}

/** Deterministic file_unique_id for a file_id (Telegram keeps it stable across re-sends). */
function uniqueIdFor(fileId: string): string {
  return 'AQAD' + createHash('sha256').update(fileId).digest('base64url').slice(0, 12);
}

function toTelegramFile(stored: StoredFile): FakeTelegramFile {
  return {
    file_id: stored.fileId,
    file_unique_id: stored.fileUniqueId,
    file_size: stored.bytes.length,
    file_path: stored.filePath,
  };
}

function guessMime(fileName: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1]?.toLowerCase();
  const known: Record<string, string> = {
    pdf: 'application/pdf',
    txt: 'text/plain',
    json: 'application/json',
    zip: 'application/zip',
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    gif: 'image/gif',
    mp4: 'video/mp4',
    mp3: 'audio/mpeg',
    ogg: 'audio/ogg',
    csv: 'text/csv',
  };
  return (ext && known[ext]) || 'application/octet-stream';
}

// ---------------------------------------------------------------------------------------------------------------
// Body parsing

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > MAX_BODY_BYTES)
      throw new ApiFault({ error_code: 413, description: 'Request Entity Too Large' });
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON, urlencoded or multipart body into params (see {@link RecordedTelegramCall.params}). */
async function parseBody(req: http.IncomingMessage): Promise<Params> {
  const body = await readBody(req);
  if (body.length === 0) return {};
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (contentType.startsWith('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.headers['content-type'] ?? '');
    if (!boundary) throw badRequest('multipart boundary is missing');
    return parseMultipart(body, (boundary[1] ?? boundary[2]).trim());
  }
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  }
  const text = body.toString('utf8');
  if (contentType.startsWith('application/json') || /^\s*\{/.test(text)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw badRequest("can't parse JSON object");
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw badRequest('JSON object expected');
    }
    return parsed as Params;
  }
  return {};
}

/**
 * Minimal multipart/form-data parser. Tolerates grammY's format (`content-disposition:form-data;name="x"` with
 * no space after the colon, unquoted `filename=photo.jpg`). Fields become strings, file parts
 * {@link UploadedFileInfo}; `attach://<part>` field values are replaced by the referenced file.
 */
function parseMultipart(body: Buffer, boundary: string): Params {
  const params: Params = {};
  const first = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  let pos = body.indexOf(first);
  if (pos < 0) return params;
  pos += first.length;
  for (;;) {
    if (body.subarray(pos, pos + 2).toString() === '--') break;
    const lineEnd = body.indexOf('\r\n', pos);
    if (lineEnd < 0) break;
    const start = lineEnd + 2;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    pos = next + delimiter.length;

    const headerEnd = part.indexOf('\r\n\r\n');
    const headerText = headerEnd < 0 ? part.toString('utf8') : part.subarray(0, headerEnd).toString('utf8');
    const content = headerEnd < 0 ? Buffer.alloc(0) : part.subarray(headerEnd + 4);
    const headers: Record<string, string> = {};
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const disposition = headers['content-disposition'] ?? '';
    const name = dispositionParam(disposition, 'name');
    if (name === undefined) continue;
    const filename = dispositionParam(disposition, 'filename');
    if (filename !== undefined) {
      const info: UploadedFileInfo = {
        filename,
        size: content.length,
        contentType: headers['content-type'] ?? 'application/octet-stream',
      };
      uploadBytes.set(info, Buffer.from(content));
      params[name] = info;
    } else {
      params[name] = content.toString('utf8');
    }
  }
  for (const [key, value] of Object.entries(params)) {
    if (typeof value !== 'string' || !value.startsWith('attach://')) continue;
    const partName = value.slice('attach://'.length);
    const file = params[partName];
    if (isUpload(file)) {
      params[key] = file;
      delete params[partName];
    }
  }
  return params;
}

function dispositionParam(disposition: string, key: string): string | undefined {
  const re = new RegExp(`;\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, 'i');
  const match = re.exec(disposition);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2].trim();
}
