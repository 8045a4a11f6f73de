import type { Readable } from 'node:stream';
import type { WhatsAppWebAuthStore } from './auth-store';

/*
 * The WhatsApp Web engine seam (providers/whatsapp-web.md §5.2): everything the adapter knows of
 * WhatsApp Web. `BaileysEngine` (baileys.engine.ts, the only file that loads Baileys at runtime)
 * and `FakeEngine` (fake.engine.ts, scripted, for tests and the sandbox) implement it. Raw payloads
 * stay Baileys-shaped JSON (`proto.IWebMessageInfo`), so one pure normalizer serves both engines.
 */

/** A message key as Baileys gives it (7.x adds the `*Alt` LID/PN twins and `addressingMode`). */
export interface RawKey {
  remoteJid?: string | null;
  remoteJidAlt?: string | null;
  fromMe?: boolean | null;
  id?: string | null;
  participant?: string | null;
  participantAlt?: string | null;
  addressingMode?: string | null;
}

/** `proto.IWebMessageInfo` as JSON (Long may be a string, number or `{low,high}`; bytes base64). */
export interface RawWAMessage {
  key: RawKey;
  message?: Record<string, unknown> | null;
  messageTimestamp?: unknown;
  pushName?: string | null;
  status?: unknown;
  messageStubType?: unknown;
  [k: string]: unknown;
}

/** `messages.update` item: `update.status` (1:1 receipts), revokes and edits. */
export interface RawMessageUpdate {
  key: RawKey;
  update: Partial<RawWAMessage>;
}

/** `message-receipt.update` item: group receipts, per participant. */
export interface RawReceipt {
  key: RawKey;
  receipt: {
    userJid: string;
    receiptTimestamp?: unknown;
    readTimestamp?: unknown;
    playedTimestamp?: unknown;
  };
}

/** `messages.reaction` item: `key` of the reacted message; falsy `reaction.text` = removed. */
export interface RawReaction {
  key: RawKey;
  reaction: { key?: RawKey; text?: string | null; senderTimestampMs?: unknown };
}

/** Baileys `Contact`. */
export interface RawContact {
  id: string;
  lid?: string;
  phoneNumber?: string;
  name?: string;
  notify?: string;
  verifiedName?: string;
}

/**
 * Media bytes (Baileys `WAMediaUpload`). Never `{url}`: Baileys would fetch it itself, outside the
 * gateway's SSRF policy; the gateway fetches URLs (MediaFetcher) and hands over the bytes.
 */
export type EngineMedia = Buffer;

/** What the engine sends (Baileys `AnyMessageContent`, restricted to what the gateway uses). */
export type EngineOutbound =
  | { text: string; linkPreview?: null }
  | { image: EngineMedia; caption?: string; mimetype?: string }
  | { video: EngineMedia; caption?: string; mimetype?: string }
  | { audio: EngineMedia; ptt?: boolean; mimetype?: string }
  | { document: EngineMedia; mimetype: string; fileName?: string; caption?: string }
  | { sticker: EngineMedia }
  | { location: { degreesLatitude: number; degreesLongitude: number; name?: string; address?: string } }
  | { contacts: { displayName?: string; contacts: { displayName?: string; vcard: string }[] } }
  | { react: { text: string; key: RawKey } };

/** Why the socket closed. `code` is the `DisconnectReason` (statusCode of the Boom), absent for our own stop. */
export interface EngineClose {
  code?: number;
  reason: string;
  /** Credentials were paired (`creds.registered` or `creds.me`) when it closed. */
  registered: boolean;
  /** Closed by our own `stop()`: never reconnect. */
  intentional?: boolean;
}

export interface EngineEvents {
  /** A new QR to show; `attempt` counts from 1 per socket; `ttlMs` its life. */
  qr: (qr: string, attempt: number, ttlMs: number) => void;
  open: (me: { jid: string; lid?: string; name?: string }) => void;
  close: (c: EngineClose) => void;
  messages: (b: { type: 'notify' | 'append'; messages: RawWAMessage[] }) => void;
  updates: (u: RawMessageUpdate[]) => void;
  receipts: (r: RawReceipt[]) => void;
  reactions: (r: RawReaction[]) => void;
  contacts: (c: RawContact[]) => void;
  'lid-mapping': (m: { pn: string; lid: string }[]) => void;
}

export interface EngineStartOptions {
  instanceId: string;
  auth: WhatsAppWebAuthStore;
  /** `WHATSAPP_WEB_WS_URL` → Baileys `waWebSocketUrl`; undefined = Baileys' own. */
  wsUrl?: string;
  /** WA Web version `[major, minor, patch]`; undefined = Baileys' baked-in one. */
  version?: [number, number, number];
  /** The stored raw message for a key (Baileys `getMessage`: retries and polls). */
  getMessage?: (key: RawKey) => Promise<RawWAMessage | undefined>;
  /** Take `append` history too (default: only live and offline messages). */
  syncHistory?: boolean;
  connectTimeoutMs?: number;
  /** The gateway's LOG_LEVEL (the engine's own logs stay at `warn` or quieter). */
  logLevel?: string;
}

/** One socket lifetime: `start` opens it, events flow until `close`; a new socket needs a new engine. */
export interface WhatsAppWebEngine {
  start(o: EngineStartOptions): Promise<void>;
  /** Closes the socket; `logout` also unlinks the device on the phone. Emits `close` (intentional). */
  stop(o: { logout: boolean }): Promise<void>;
  /** 8 characters (Crockford) to type on the phone; only while unpaired and after the first QR. */
  requestPairingCode(phoneDigits: string): Promise<string>;
  send(jid: string, content: EngineOutbound, o?: { quoted?: RawWAMessage }): Promise<RawWAMessage>;
  markRead(keys: RawKey[]): Promise<void>;
  presence(jid: string, p: 'composing' | 'paused' | 'available' | 'unavailable'): Promise<void>;
  download(raw: RawWAMessage): Promise<Readable>;
  /** `onWhatsApp`: which phone numbers (digits) have WhatsApp, with their JID. */
  lookup(phones: string[]): Promise<{ jid: string; exists: boolean }[]>;
  on<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): void;
}

/** Builds one engine per socket lifetime (Nest token WHATSAPP_WEB_ENGINE_FACTORY). */
export type WhatsAppWebEngineFactory = (instanceId: string) => WhatsAppWebEngine;
export const WHATSAPP_WEB_ENGINE_FACTORY = Symbol('WHATSAPP_WEB_ENGINE_FACTORY');

/** `<digits>@s.whatsapp.net` / `@lid` / `@g.us` without the device suffix (`123:12@lid` → `123@lid`). */
export function normalizeJid(jid: string | null | undefined): string | undefined {
  if (!jid) return undefined;
  const at = jid.indexOf('@');
  if (at < 0) return jid;
  const user = jid.slice(0, at).split(':')[0];
  const server = jid.slice(at + 1) === 'c.us' ? 's.whatsapp.net' : jid.slice(at + 1);
  return `${user}@${server}`;
}

export const isGroupJid = (jid: string | undefined) => !!jid && jid.endsWith('@g.us');
export const isLidJid = (jid: string | undefined) => !!jid && jid.endsWith('@lid');
export const isPnJid = (jid: string | undefined) => !!jid && jid.endsWith('@s.whatsapp.net');
/** Digits of a phone JID, else undefined. */
export const phoneOf = (jid: string | undefined) => (isPnJid(jid) ? jid!.split('@')[0] : undefined);
