import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
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
 * A scripted, in-process WhatsApp Web (providers/whatsapp-web.md §5.2.2) for e2e tests and the
 * sandbox: no network. Paired state lives in the same PostgreSQL auth store the real engine
 * uses, so "linked instances reconnect after a restart without a QR" is exercised for real.
 * Test hooks: scan(), emitQr(), expireQrs(), deliver(), ack(), groupReceipt(), kick(), failSend().
 */

export interface FakeAccount {
  jid: string;
  lid?: string;
  name?: string;
}

export interface FakeSent {
  instanceId: string;
  jid: string;
  content: EngineOutbound;
  quoted?: RawWAMessage;
  message: RawWAMessage;
}

/** Process-wide state of the fake WhatsApp: engines by instance, sends, media, phones. */
export class FakeWhatsAppWebHub extends EventEmitter {
  readonly engines = new Map<string, FakeEngine>();
  readonly sent: FakeSent[] = [];
  readonly media = new Map<string, Buffer>();
  readonly reads: { instanceId: string; keys: RawKey[] }[] = [];
  readonly presences: { instanceId: string; jid: string; presence: string }[] = [];
  /** Phones (digits) that are not on WhatsApp (onWhatsApp → exists:false). */
  readonly notOnWhatsApp = new Set<string>();
  /** Sockets ever started, by instance (the "one socket per instance" checks). */
  readonly starts = new Map<string, number>();
  /** Sockets open right now, by instance. */
  readonly open = new Map<string, number>();
  /** QR life, ms (Baileys: 60 s then 20 s) and how many before the 408. */
  qrTtlMs = 60_000;
  maxQrs = 6;
  /** Delay before the first QR (the socket "connecting"), ms. */
  qrDelayMs = 0;
  /** Sandbox: scan every QR by itself after this many ms, as this account. */
  autoScan?: { afterMs: number; account: FakeAccount };
  /** Sandbox: a phone that answers every text with `echo: <text>`. */
  autoReply = false;
  /** Sockets that ignore stop() and never report their close (a wedged socket). */
  wedged = false;

  /** The engine currently serving an instance, waiting for it to start. */
  async engine(instanceId: string, timeoutMs = 10_000): Promise<FakeEngine> {
    const started = Date.now();
    for (;;) {
      const e = this.engines.get(instanceId);
      if (e && e.started && !e.closed) return e;
      if (Date.now() - started > timeoutMs) throw new Error(`no fake engine started for ${instanceId}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  reset(): void {
    for (const e of this.engines.values()) e.dispose();
    this.engines.clear();
    this.sent.length = 0;
    this.media.clear();
    this.reads.length = 0;
    this.presences.length = 0;
    this.notOnWhatsApp.clear();
    this.starts.clear();
    this.open.clear();
    this.qrTtlMs = 60_000;
    this.maxQrs = 6;
    this.qrDelayMs = 0;
    this.autoScan = undefined;
    this.autoReply = false;
    this.wedged = false;
  }
}

export const fakeWhatsAppWeb = new FakeWhatsAppWebHub();

interface FakeCreds {
  fake: true;
  registered: boolean;
  me?: FakeAccount;
}

export class FakeEngine implements WhatsAppWebEngine {
  private readonly ev = new EventEmitter();
  private opts?: EngineStartOptions;
  private creds: FakeCreds = { fake: true, registered: false };
  private qrTimer?: NodeJS.Timeout;
  private scanTimer?: NodeJS.Timeout;
  private qrCount = 0;
  private sendFailure?: Error;
  started = false;
  closed = false;
  isOpen = false;

  constructor(
    readonly instanceId: string,
    private readonly hub: FakeWhatsAppWebHub = fakeWhatsAppWeb,
  ) {}

  on<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): void {
    this.ev.on(event, listener as (...a: unknown[]) => void);
  }

  async start(o: EngineStartOptions): Promise<void> {
    this.opts = o;
    this.hub.engines.set(this.instanceId, this);
    this.hub.starts.set(this.instanceId, (this.hub.starts.get(this.instanceId) ?? 0) + 1);
    const stored = await o.auth.readCreds();
    if (stored) this.creds = JSON.parse(stored) as FakeCreds;
    this.started = true;
    const go = () => {
      if (this.closed) return;
      if (this.creds.registered && this.creds.me) this.openSocket();
      else this.nextQr();
    };
    if (this.hub.qrDelayMs > 0 && !this.creds.registered) setTimeout(go, this.hub.qrDelayMs).unref();
    else setImmediate(go);
  }

  async stop(o: { logout: boolean }): Promise<void> {
    if (this.closed || this.hub.wedged) return;
    if (o.logout) await this.opts?.auth.clear();
    this.close({
      reason: o.logout ? 'logout' : 'stopped',
      intentional: true,
      code: o.logout ? 401 : undefined,
    });
  }

  async requestPairingCode(phoneDigits: string): Promise<string> {
    if (this.creds.registered) throw new Error('already paired');
    if (!/^\d{6,15}$/.test(phoneDigits)) throw new Error('phone must be digits with country code');
    return randomBytes(5).toString('hex').slice(0, 8).toUpperCase();
  }

  async send(jid: string, content: EngineOutbound, o?: { quoted?: RawWAMessage }): Promise<RawWAMessage> {
    if (!this.isOpen) throw Object.assign(new Error('Connection Closed'), { statusCode: 428 });
    if (this.sendFailure) {
      const err = this.sendFailure;
      this.sendFailure = undefined;
      throw err;
    }
    const message: RawWAMessage = {
      key: { remoteJid: jid, fromMe: true, id: `3EB0${randomBytes(8).toString('hex').toUpperCase()}` },
      message: toProto(content, o?.quoted),
      messageTimestamp: String(Math.floor(Date.now() / 1000)),
      status: 'PENDING',
    };
    this.hub.sent.push({ instanceId: this.instanceId, jid, content, quoted: o?.quoted, message });
    this.hub.emit('sent', this.hub.sent[this.hub.sent.length - 1]);
    // emitOwnEvents: our own send comes back as an `append` upsert (deduped on the key id)
    setImmediate(() => this.emit('messages', { type: 'append', messages: [message] }));
    if (this.hub.autoReply && 'text' in content) {
      setTimeout(() => this.deliver(incomingText(jid, `echo: ${content.text}`)), 300).unref();
    }
    return message;
  }

  async markRead(keys: RawKey[]): Promise<void> {
    this.hub.reads.push({ instanceId: this.instanceId, keys });
  }

  async presence(jid: string, p: string): Promise<void> {
    this.hub.presences.push({ instanceId: this.instanceId, jid, presence: p });
  }

  async download(raw: RawWAMessage): Promise<Readable> {
    const bytes = this.hub.media.get(raw.key.id ?? '');
    if (!bytes) throw Object.assign(new Error('media gone (410)'), { statusCode: 410 });
    return Readable.from([bytes]);
  }

  async lookup(phones: string[]): Promise<{ jid: string; exists: boolean }[]> {
    return phones.map((p) => ({ jid: `${p}@s.whatsapp.net`, exists: !this.hub.notOnWhatsApp.has(p) }));
  }

  // ---- test hooks ----

  /** The phone scans the QR (or types the pairing code): creds saved, then 515 as after pair-success. */
  async scan(
    account: FakeAccount = { jid: '15550001111@s.whatsapp.net', name: 'Fake Phone' },
  ): Promise<void> {
    if (!this.opts || this.closed) throw new Error('engine not running');
    this.creds = { fake: true, registered: true, me: account };
    await this.opts.auth.writeCreds(JSON.stringify(this.creds), {
      registered: true,
      meJid: account.jid,
      meLid: account.lid,
    });
    await this.opts.auth.setKeys([
      { type: 'session', id: `${account.jid.split('@')[0]}.0`, value: JSON.stringify({ fake: 'session' }) },
    ]);
    this.close({ code: 515, reason: 'restart required' });
  }

  /**
   * The next QR now (design: whatsapp-web.md §5.2.2): the current one is replaced at once, as
   * after `qrTtlMs`, or the 408 comes when it was the last. @throws when the engine is not showing
   * QRs (stopped, or already linked).
   */
  emitQr(): void {
    if (!this.opts || this.closed || this.creds.registered) throw new Error('engine not showing QRs');
    clearTimeout(this.qrTimer);
    this.nextQr();
  }

  /** Every QR ran out: Baileys' 408 "QR refs attempts ended". */
  expireQrs(): void {
    this.close({ code: 408, reason: 'QR refs attempts ended' });
  }

  /** A message arrives from WhatsApp. */
  deliver(raw: RawWAMessage, type: 'notify' | 'append' = 'notify'): void {
    this.emit('messages', { type, messages: [raw] });
  }

  /** A 1:1 receipt for one of our messages (2 server, 3 delivered, 4 read, 5 played). */
  ack(id: string, status: number, remoteJid = '15550002222@s.whatsapp.net'): void {
    this.emit('updates', [{ key: { remoteJid, fromMe: true, id }, update: { status } }]);
  }

  groupReceipt(id: string, groupJid: string, userJid: string, kind: 'receipt' | 'read' | 'played'): void {
    const ts = Math.floor(Date.now() / 1000);
    this.emit('receipts', [
      {
        key: { remoteJid: groupJid, fromMe: true, id },
        receipt: { userJid, [`${kind === 'receipt' ? 'receipt' : kind}Timestamp`]: ts },
      },
    ]);
  }

  contacts(list: { id: string; lid?: string; phoneNumber?: string; name?: string; notify?: string }[]): void {
    this.emit('contacts', list);
  }

  lidMapping(pairs: { pn: string; lid: string }[]): void {
    this.emit('lid-mapping', pairs);
  }

  /** WhatsApp closes the socket with this DisconnectReason (401 logged out on the phone, 440, 428…). */
  kick(code: number, reason = `closed by WhatsApp (${code})`): void {
    if (code === 401) void this.opts?.auth; // the phone removed the device; wiping is the gateway's job
    this.close({ code, reason });
  }

  /** The next send fails with this error. */
  failSend(err: Error): void {
    this.sendFailure = err;
  }

  /** The hub is reset: the socket drops (a connection still running it hears the close). */
  dispose(): void {
    this.close({ reason: 'fake WhatsApp reset', code: 428 });
  }

  // ---- internals ----

  private emit<E extends keyof EngineEvents>(event: E, ...args: Parameters<EngineEvents[E]>): void {
    if (this.closed) return;
    this.ev.emit(event, ...args);
  }

  private nextQr(): void {
    if (this.closed) return;
    if (this.qrCount >= this.hub.maxQrs) return this.expireQrs();
    this.qrCount += 1;
    const ref = randomBytes(12).toString('base64');
    const qr = `https://wa.me/settings/linked_devices#${ref},${randomBytes(32).toString('base64')},${randomBytes(32).toString('base64')},${randomBytes(32).toString('base64')},1`;
    this.emit('qr', qr, this.qrCount, this.hub.qrTtlMs);
    this.qrTimer = setTimeout(() => this.nextQr(), this.hub.qrTtlMs);
    this.qrTimer.unref();
    const auto = this.hub.autoScan;
    if (auto && this.qrCount === 1) {
      this.scanTimer = setTimeout(() => void this.scan(auto.account).catch(() => undefined), auto.afterMs);
      this.scanTimer.unref();
    }
  }

  private openSocket(): void {
    this.isOpen = true;
    this.hub.open.set(this.instanceId, (this.hub.open.get(this.instanceId) ?? 0) + 1);
    const me = this.creds.me!;
    this.emit('open', {
      jid: me.jid,
      ...(me.lid ? { lid: me.lid } : {}),
      ...(me.name ? { name: me.name } : {}),
    });
  }

  private close(c: Omit<EngineClose, 'registered'>): void {
    if (this.closed) return;
    clearTimeout(this.qrTimer);
    clearTimeout(this.scanTimer);
    if (this.isOpen) this.hub.open.set(this.instanceId, (this.hub.open.get(this.instanceId) ?? 1) - 1);
    this.isOpen = false;
    const full: EngineClose = { ...c, registered: this.creds.registered };
    this.ev.emit('close', full);
    this.closed = true;
    this.ev.removeAllListeners();
  }
}

/** An inbound text as a phone sends it (`conversation`). */
export function incomingText(
  from: string,
  text: string,
  o: { id?: string; pushName?: string } = {},
): RawWAMessage {
  return {
    key: { remoteJid: from, fromMe: false, id: o.id ?? `3A${randomBytes(9).toString('hex').toUpperCase()}` },
    message: { conversation: text },
    messageTimestamp: Math.floor(Date.now() / 1000),
    pushName: o.pushName ?? 'Fake Contact',
  };
}

/** EngineOutbound → the proto JSON Baileys would build (enough for echoes and quoting). */
function toProto(c: EngineOutbound, quoted?: RawWAMessage): Record<string, unknown> {
  const ctx = quoted
    ? {
        contextInfo: {
          stanzaId: quoted.key.id,
          participant: quoted.key.remoteJid,
          quotedMessage: quoted.message,
        },
      }
    : {};
  if ('text' in c)
    return quoted ? { extendedTextMessage: { text: c.text, ...ctx } } : { conversation: c.text };
  if ('image' in c)
    return { imageMessage: { caption: c.caption, mimetype: c.mimetype ?? 'image/jpeg', ...ctx } };
  if ('video' in c)
    return { videoMessage: { caption: c.caption, mimetype: c.mimetype ?? 'video/mp4', ...ctx } };
  if ('audio' in c) return { audioMessage: { ptt: !!c.ptt, mimetype: c.mimetype ?? 'audio/ogg', ...ctx } };
  if ('document' in c)
    return { documentMessage: { fileName: c.fileName, mimetype: c.mimetype, caption: c.caption, ...ctx } };
  if ('sticker' in c) return { stickerMessage: { mimetype: 'image/webp', ...ctx } };
  if ('location' in c) return { locationMessage: { ...c.location, ...ctx } };
  if ('contacts' in c)
    return c.contacts.contacts.length === 1
      ? { contactMessage: { ...c.contacts.contacts[0], ...ctx } }
      : { contactsArrayMessage: { ...c.contacts, ...ctx } };
  return { reactionMessage: { key: c.react.key, text: c.react.text } };
}
