import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import pino from 'pino';
import type { AuthenticationCreds, SignalDataTypeMap, SignalKeyStore, WAMessage, WASocket } from 'baileys';
import type { WhatsAppWebAuthStore } from './auth-store';
import type {
  EngineClose,
  EngineEvents,
  EngineOutbound,
  EngineStartOptions,
  RawKey,
  RawWAMessage,
  WhatsAppWebEngine,
} from './engine';

/*
 * The real engine: Baileys 7.0.0-rc14 (pinned exactly; providers/whatsapp-web.md §1, §7). The ONLY
 * file that loads Baileys at runtime, lazily on the first `start` (Baileys is ESM-only and adds
 * ~59 MB RSS: only the worker that owns sockets pays for it). Everything else sees the seam.
 */

export type Baileys = typeof import('baileys');
let loaded: Promise<Baileys> | undefined;
/**
 * Loads Baileys once per process with `require` (Node ≥ 20.19 loads ESM that way: require(esm);
 * jest turns it into CommonJS, see jest.config.js). Should a Baileys release add top-level await
 * (ERR_REQUIRE_ASYNC_MODULE), fall back to `import()`.
 */
export function loadBaileys(): Promise<Baileys> {
  loaded ??= new Promise<Baileys>((resolve, reject) => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      resolve(require('baileys') as Baileys);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_REQUIRE_ASYNC_MODULE') return reject(err as Error);
      import('baileys').then(resolve, reject);
    }
  });
  return loaded;
}

/** Baileys logs at `warn` at most (its `info` is per-frame noise), silenced with LOG_LEVEL=silent. */
const loggers = new Map<string, pino.Logger>();
function baileysLogger(level: string | undefined): pino.Logger {
  const l = level === 'silent' || level === 'fatal' || level === 'error' ? level : 'warn';
  let logger = loggers.get(l);
  if (!logger) loggers.set(l, (logger = pino({ level: l, name: 'baileys' })));
  return logger;
}

/** protobufjs object → plain JSON (Long as string, enums as names, bytes as base64). */
function toRaw<T>(v: T): RawWAMessage {
  return JSON.parse(JSON.stringify(v)) as RawWAMessage;
}

/**
 * Baileys' `AuthenticationState` on the PostgreSQL store (providers/whatsapp-web.md §3): creds
 * and keys as BufferJSON, `app-state-sync-key` rebuilt as protos on read, each `keys.set` batch
 * in one transaction. Wrap `keys` in `makeCacheableSignalKeyStore` before giving it to a socket.
 */
export async function pgAuthState(
  b: Baileys,
  store: WhatsAppWebAuthStore,
): Promise<{ creds: AuthenticationCreds; keys: SignalKeyStore; saveCreds: () => Promise<void> }> {
  const stored = await store.readCreds();
  const creds: AuthenticationCreds = stored
    ? (JSON.parse(stored, b.BufferJSON.reviver) as AuthenticationCreds)
    : b.initAuthCreds();
  const saveCreds = async () => {
    await store.writeCreds(JSON.stringify(creds, b.BufferJSON.replacer), {
      registered: !!creds.registered || !!creds.me,
      meJid: creds.me?.id,
      meLid: creds.me?.lid,
    });
  };
  if (!stored) await saveCreds();
  const keys: SignalKeyStore = {
    get: async (type, ids) => {
      const found = await store.getKeys(type, ids);
      const out: { [id: string]: SignalDataTypeMap[typeof type] } = {};
      for (const [id, json] of found) {
        let value = JSON.parse(json, b.BufferJSON.reviver);
        if (type === 'app-state-sync-key' && value)
          value = b.proto.Message.AppStateSyncKeyData.fromObject(value);
        out[id] = value;
      }
      return out;
    },
    set: async (data) => {
      const writes = Object.entries(data).flatMap(([type, byId]) =>
        Object.entries(byId ?? {}).map(([id, value]) => ({
          type,
          id,
          value: value === null || value === undefined ? null : JSON.stringify(value, b.BufferJSON.replacer),
        })),
      );
      await store.setKeys(writes);
    },
    clear: () => store.clear(),
  };
  return { creds, keys, saveCreds };
}

export class BaileysEngine implements WhatsAppWebEngine {
  private readonly ev = new EventEmitter();
  private sock?: WASocket;
  private b?: Baileys;
  private qrCount = 0;
  private stopping?: { logout: boolean };
  private closed = false;
  private creds?: AuthenticationCreds;
  private logger?: pino.Logger;

  constructor(readonly instanceId: string) {}

  on<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): void {
    this.ev.on(event, listener as (...a: unknown[]) => void);
  }

  async start(o: EngineStartOptions): Promise<void> {
    const b = (this.b = await loadBaileys());
    const logger = baileysLogger(o.logLevel).child({ instanceId: o.instanceId });
    this.logger = logger;
    const store = o.auth;
    const { creds, keys, saveCreds } = await pgAuthState(b, store);
    this.creds = creds;
    const sock = b.makeWASocket({
      auth: { creds, keys: b.makeCacheableSignalKeyStore(keys, logger) },
      logger,
      browser: b.Browsers.macOS('Chrome'),
      ...(o.wsUrl ? { waWebSocketUrl: o.wsUrl } : {}),
      ...(o.version ? { version: o.version } : {}),
      ...(o.connectTimeoutMs ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
      markOnlineOnConnect: false,
      syncFullHistory: false,
      getMessage: async (key) =>
        ((await o.getMessage?.(key as RawKey))?.message ?? undefined) as WAMessage['message'] & object,
    });
    this.sock = sock;

    sock.ev.on('creds.update', () => {
      void saveCreds().catch((err) => logger.error({ err }, 'saving WhatsApp Web creds failed'));
    });
    sock.ev.on('connection.update', (u) => {
      if (u.qr) {
        this.qrCount += 1;
        this.emit('qr', u.qr, this.qrCount, this.qrCount === 1 ? 60_000 : 20_000);
      }
      if (u.connection === 'open') {
        const user = sock.user;
        this.emit('open', {
          jid: user?.id ?? creds.me?.id ?? '',
          ...(user?.lid ? { lid: user.lid } : {}),
          ...(user?.name || creds.me?.name ? { name: (user?.name ?? creds.me?.name)! } : {}),
        });
      }
      if (u.connection === 'close') {
        const err = u.lastDisconnect?.error as
          { output?: { statusCode?: number }; message?: string } | undefined;
        const intentional = !!this.stopping;
        this.finish({
          code: err?.output?.statusCode ?? (intentional && this.stopping?.logout ? 401 : undefined),
          reason: intentional
            ? this.stopping!.logout
              ? 'logout'
              : 'stopped'
            : (err?.message ?? 'connection closed'),
          registered: !!creds.registered || !!creds.me,
          intentional,
        });
      }
    });
    sock.ev.on('messages.upsert', ({ messages, type }) => {
      this.emit('messages', { type, messages: messages.map(toRaw) });
    });
    sock.ev.on('messages.update', (updates) => {
      this.emit(
        'updates',
        updates.map((u) => ({ key: toRaw(u.key) as RawKey, update: toRaw(u.update) })),
      );
    });
    sock.ev.on('message-receipt.update', (receipts) => {
      this.emit(
        'receipts',
        receipts.map((r) => toRaw(r) as never),
      );
    });
    sock.ev.on('contacts.upsert', (contacts) =>
      this.emit(
        'contacts',
        contacts.map((c) => toRaw(c) as never),
      ),
    );
    sock.ev.on('contacts.update', (contacts) =>
      this.emit(
        'contacts',
        contacts.filter((c) => c.id).map((c) => toRaw(c) as never),
      ),
    );
    sock.ev.on('lid-mapping.update', (m) => this.emit('lid-mapping', [m as { pn: string; lid: string }]));
  }

  async stop(o: { logout: boolean }): Promise<void> {
    if (this.closed || !this.sock) {
      this.finish({
        reason: o.logout ? 'logout' : 'stopped',
        registered: !!this.creds?.me,
        intentional: true,
      });
      return;
    }
    this.stopping = o;
    if (o.logout) {
      // remove-companion-device on the phone, then end(401)
      await this.sock.logout().catch(() => this.sock?.end(undefined));
    } else {
      this.sock.end(undefined);
    }
    // `end` emits close synchronously in 7.x; make sure listeners hear it even if not
    this.finish({
      code: o.logout ? 401 : undefined,
      reason: o.logout ? 'logout' : 'stopped',
      registered: !!this.creds?.me,
      intentional: true,
    });
  }

  async requestPairingCode(phoneDigits: string): Promise<string> {
    return this.socket().requestPairingCode(phoneDigits);
  }

  async send(jid: string, content: EngineOutbound, o?: { quoted?: RawWAMessage }): Promise<RawWAMessage> {
    const sent = await this.socket().sendMessage(
      jid,
      content as never,
      o?.quoted ? { quoted: o.quoted as unknown as WAMessage } : undefined,
    );
    if (!sent) throw new Error('sendMessage returned nothing');
    return toRaw(sent);
  }

  async markRead(keys: RawKey[]): Promise<void> {
    await this.socket().readMessages(keys as never);
  }

  async presence(jid: string, p: 'composing' | 'paused' | 'available' | 'unavailable'): Promise<void> {
    await this.socket().sendPresenceUpdate(p, jid);
  }

  async download(raw: RawWAMessage): Promise<Readable> {
    const sock = this.socket();
    const b = this.b!;
    return (await b.downloadMediaMessage(
      raw as unknown as WAMessage,
      'stream',
      {},
      { logger: this.logger ?? baileysLogger(undefined), reuploadRequest: sock.updateMediaMessage },
    )) as unknown as Readable;
  }

  async lookup(phones: string[]): Promise<{ jid: string; exists: boolean }[]> {
    const found = (await this.socket().onWhatsApp(...phones)) ?? [];
    return phones.map((p) => {
      const hit = found.find((f) => f.jid.startsWith(`${p}@`));
      return { jid: hit?.jid ?? `${p}@s.whatsapp.net`, exists: !!hit?.exists };
    });
  }

  private socket(): WASocket {
    if (!this.sock || this.closed) throw Object.assign(new Error('Connection Closed'), { statusCode: 428 });
    return this.sock;
  }

  private emit<E extends keyof EngineEvents>(event: E, ...args: Parameters<EngineEvents[E]>): void {
    if (this.closed) return;
    this.ev.emit(event, ...args);
  }

  private finish(c: EngineClose): void {
    if (this.closed) return;
    this.closed = true;
    this.ev.emit('close', c);
    this.ev.removeAllListeners();
  }
}
