import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { SecretBox } from '../../../common/crypto/secret-box';
import { AppError, ConflictError, ProviderError } from '../../../common/errors/app-error';
import { AppConfig } from '../../../config/app-config';
import type { InstanceEntity } from '../../instances-core/instance.entity';
import { Readable } from 'node:stream';
import { WhatsAppWebAuthStore } from './auth-store';
import { RemoteCall, WhatsAppWebRemote } from './whatsapp-web.remote';
import {
  isGroupJid,
  isLidJid,
  isPnJid,
  normalizeJid,
  phoneOf,
  type RawContact,
  type RawWAMessage,
  type WhatsAppWebEngine,
  WHATSAPP_WEB_ENGINE_FACTORY,
  type WhatsAppWebEngineFactory,
} from './engine';

/** A socket this process holds (the connection runtime's lease makes it the only one). */
export interface LiveSession {
  instanceId: string;
  engine: WhatsAppWebEngine;
  /** `open` seen and not closed since. */
  open: boolean;
  me?: { jid: string; lid?: string; name?: string };
  /** Closes the socket so the connection opens a new one at once (POST …/reconnect). */
  restart(): void;
}

/** What `GET …/qr` answers (the seeds' shapes plus our fields). */
export type QrState =
  | { state: 'pending'; qrCode: string; attempt: number; expiresAt: Date }
  | { state: 'generating' }
  | { state: 'pairing_code'; pairingCode: string };

/**
 * Process-side state of WhatsApp Web: live sockets (for sends, QR, contacts), the QR / pairing
 * code kept in `whatsapp_web_instances` (sealed: a QR carries the companion's keys) so every
 * process can answer `GET …/qr`, the `qr_received` event and activity lines, WhatsApp's contacts
 * (`whatsapp_web_contacts`, phone JID and LID side by side) and per-chat send pacing.
 */
@Injectable()
export class WhatsAppWebService {
  private readonly logger = new Logger(WhatsAppWebService.name);
  readonly sessions = new Map<string, LiveSession>();
  /** Sends through the API in flight, per instance (their echoes must wait for them). */
  private readonly inflight = new Map<string, Set<Promise<unknown>>>();
  /** Key ids of messages sent through the API (the last 1000 per instance): their echoes are not stored again. */
  private readonly ownSent = new Map<string, Set<string>>();
  /** Per instance+chat: when the last send may be followed by the next (epoch ms), as a chain. */
  private readonly pacing = new Map<string, Promise<void>>();

  constructor(
    @InjectDataSource() readonly db: DataSource,
    private readonly secrets: SecretBox,
    readonly config: AppConfig,
    @Inject(WHATSAPP_WEB_ENGINE_FACTORY) readonly engineFactory: WhatsAppWebEngineFactory,
    readonly remote: WhatsAppWebRemote,
  ) {}

  /**
   * Runs `call` on the instance's socket: in this process when it holds it, else on the process
   * that does (WhatsAppWebRemote). @throws ConflictError (409) naming the state when no process
   * holds an open socket; AppError 503 when WhatsApp or the holder does not answer in 10 s.
   */
  async exec(instance: InstanceEntity, call: RemoteCall): Promise<unknown> {
    const local = this.sessions.get(instance.id);
    if (local) return this.runLocal(local, call);
    const remote = await this.remote.call(instance.id, call);
    if (!remote) throw notConnected(instance.id, instance.status);
    const v = remote.value as { base64?: string } | undefined;
    if (call.op === 'download' && typeof v?.base64 === 'string')
      return Readable.from([Buffer.from(v.base64, 'base64')]);
    return remote.value;
  }

  /** `call` on a socket this process holds (also what other processes' calls run). */
  async runLocal(s: LiveSession, call: RemoteCall): Promise<unknown> {
    const engine = s.engine;
    if (call.op === 'logout') return engine.stop({ logout: true });
    if (call.op === 'pairingCode') {
      if (s.open)
        throw new AppError(
          409,
          'not_waiting_for_login',
          `WhatsApp Web instance ${s.instanceId} is already linked`,
        );
      const code = await withTimeout(engine.requestPairingCode(call.phone), SEND_TIMEOUT_MS, s.instanceId);
      return code.length === 8 ? `${code.slice(0, 4)}-${code.slice(4)}` : code;
    }
    if (!s.open) throw notConnected(s.instanceId, 'waiting_for_qr_scan');
    switch (call.op) {
      case 'send': {
        await this.pace(s.instanceId, call.jid);
        return withTimeout(
          this.trackSend(
            s.instanceId,
            engine.send(call.jid, call.content, call.quoted ? { quoted: call.quoted } : undefined),
          ),
          SEND_TIMEOUT_MS,
          s.instanceId,
        );
      }
      case 'markRead':
        return withTimeout(engine.markRead(call.keys), SEND_TIMEOUT_MS, s.instanceId);
      case 'presence':
        return withTimeout(engine.presence(call.jid, call.presence), SEND_TIMEOUT_MS, s.instanceId);
      case 'lookup':
        return withTimeout(engine.lookup(call.phones), SEND_TIMEOUT_MS, s.instanceId);
      case 'download':
        return withTimeout(engine.download(call.raw as RawWAMessage), SEND_TIMEOUT_MS, s.instanceId);
    }
  }

  authStore(instanceId: string): WhatsAppWebAuthStore {
    return new WhatsAppWebAuthStore(this.db, this.secrets, instanceId);
  }

  /**
   * Tracks an API send: Baileys echoes our own message (`append`, `emitOwnEvents`) before
   * `sendMessage` resolves; the echo is dropped once the send is known (the API stores the row).
   */
  trackSend<T extends { key: { id?: string | null } }>(instanceId: string, send: Promise<T>): Promise<T> {
    const set = this.inflight.get(instanceId) ?? new Set<Promise<unknown>>();
    this.inflight.set(instanceId, set);
    const tracked = send.then((sent) => {
      const ids = this.ownSent.get(instanceId) ?? new Set<string>();
      this.ownSent.set(instanceId, ids);
      if (sent.key.id) ids.add(sent.key.id);
      if (ids.size > 1000) ids.delete(ids.values().next().value!);
      return sent;
    });
    set.add(tracked);
    void tracked.catch(() => undefined).finally(() => set.delete(tracked));
    return tracked;
  }

  /** After in-flight API sends settle: whether `keyId` is one of them (an echo, not to store). */
  async isOwnSend(instanceId: string, keyId: string | null | undefined): Promise<boolean> {
    const pending = [...(this.inflight.get(instanceId) ?? [])];
    if (pending.length) await Promise.allSettled(pending);
    return !!keyId && !!this.ownSent.get(instanceId)?.has(keyId);
  }

  /** Waits until `gapMs` passed since the previous send to this chat (in this process). */
  async pace(instanceId: string, jid: string): Promise<void> {
    const gap = this.config.whatsappWeb.sendGapMs;
    if (gap <= 0) return;
    const key = `${instanceId}:${jid}`;
    const previous = this.pacing.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    this.pacing.set(
      key,
      previous.then(() => mine),
    );
    await previous;
    // the next send to this chat starts `gap` ms after this one was let through
    setTimeout(() => {
      release();
      if (this.pacing.get(key) === mine) this.pacing.delete(key);
    }, gap).unref();
  }

  async activity(instanceId: string, action: string, details: Record<string, unknown>): Promise<void> {
    await this.db.query(`INSERT INTO activity_logs (instance_id, action, details) VALUES ($1, $2, $3)`, [
      instanceId,
      action,
      JSON.stringify(details),
    ]);
  }

  /**
   * A new QR sealed into the config row (GET …/qr answers it from any process). The
   * `qr_received` event and activity line come from the connection runtime (ConnectionStatusService)
   * on the `waiting_for_qr` report.
   */
  /**
   * A new QR of this socket. A pairing code already issued stays: it is bound to the socket, not
   * to one QR (WhatsApp keeps rotating QR refs while the code is typed), and is dropped when the
   * socket closes (clearLogin) or links (opened).
   */
  async qrReceived(instanceId: string, qr: string, attempt: number, ttlMs: number): Promise<void> {
    await this.db.query(
      `UPDATE whatsapp_web_instances SET qr_code_enc = $2, qr_attempt = $3, qr_expires_at = $4, updated_at = now()
        WHERE instance_id = $1`,
      [instanceId, this.secrets.encrypt(qr), attempt, new Date(Date.now() + ttlMs)],
    );
  }

  async pairingCodeIssued(instanceId: string, code: string): Promise<void> {
    await this.db.query(
      `UPDATE whatsapp_web_instances SET pairing_code = $2, updated_at = now() WHERE instance_id = $1`,
      [instanceId, code],
    );
    await this.activity(instanceId, 'pairing_code', {});
  }

  /** Linked: the account is stored, the QR and pairing code dropped. */
  async opened(instanceId: string, me: { jid: string; lid?: string; name?: string }): Promise<void> {
    await this.db.query(
      `UPDATE whatsapp_web_instances SET me_jid = $2, me_lid = $3, me_name = COALESCE($4, me_name),
              qr_code_enc = NULL, qr_expires_at = NULL, pairing_code = NULL,
              linked_at = COALESCE(linked_at, now()), updated_at = now()
        WHERE instance_id = $1`,
      [instanceId, normalizeJid(me.jid), normalizeJid(me.lid) ?? null, me.name ?? null],
    );
  }

  /** No QR pending any more (socket closed, QR expired, logged out). */
  async clearLogin(instanceId: string, unlinked = false): Promise<void> {
    await this.db.query(
      `UPDATE whatsapp_web_instances SET qr_code_enc = NULL, qr_expires_at = NULL, pairing_code = NULL,
              ${unlinked ? 'me_jid = NULL, me_lid = NULL, linked_at = NULL,' : ''} updated_at = now()
        WHERE instance_id = $1`,
      [instanceId],
    );
  }

  /** The pending QR or pairing code, or `generating` while the socket is still connecting. */
  async qrState(instanceId: string): Promise<QrState> {
    const [row] = await this.db.query(
      `SELECT qr_code_enc, qr_attempt, qr_expires_at, pairing_code FROM whatsapp_web_instances WHERE instance_id = $1`,
      [instanceId],
    );
    if (row?.pairing_code) return { state: 'pairing_code', pairingCode: row.pairing_code };
    if (row?.qr_code_enc && row.qr_expires_at && new Date(row.qr_expires_at) > new Date()) {
      return {
        state: 'pending',
        qrCode: this.secrets.decrypt(row.qr_code_enc),
        attempt: row.qr_attempt,
        expiresAt: new Date(row.qr_expires_at),
      };
    }
    return { state: 'generating' };
  }

  /** `contacts.upsert` / `contacts.update` / learned mappings → `whatsapp_web_contacts` (one row per person). */
  async upsertContacts(instanceId: string, contacts: RawContact[]): Promise<void> {
    for (const c of contacts) {
      const ids = [normalizeJid(c.id), normalizeJid(c.lid), normalizeJid(c.phoneNumber)];
      const pn = ids.find(isPnJid);
      const lid = ids.find(isLidJid);
      const group = ids.find(isGroupJid);
      const jid = pn ?? group ?? lid;
      if (!jid) continue;
      await this.db.transaction(async (tx) => {
        if (pn && lid) {
          // the mapping is learned: fold a LID-only row into the phone row
          const merged: unknown[] = await tx.query(
            `DELETE FROM whatsapp_web_contacts WHERE instance_id = $1 AND jid = $2 RETURNING jid`,
            [instanceId, lid],
          );
          await tx.query(
            `UPDATE whatsapp_web_contacts SET lid = NULL WHERE instance_id = $1 AND lid = $2 AND jid <> $3`,
            [instanceId, lid, pn],
          );
          const moved = await this.mergeStoredContact(tx, instanceId, pn, lid);
          if (merged.length || moved) {
            // one person, two addresses: say so once, where the instance's history is read
            await tx.query(
              `INSERT INTO activity_logs (instance_id, action, details) VALUES ($1, 'contact_merged', $2)`,
              [instanceId, JSON.stringify({ jid: pn, lid })],
            );
          }
        }
        await tx.query(
          `INSERT INTO whatsapp_web_contacts (instance_id, jid, lid, phone, name, notify, verified_name, is_group)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (instance_id, jid) DO UPDATE SET lid = COALESCE(EXCLUDED.lid, whatsapp_web_contacts.lid),
             phone = COALESCE(EXCLUDED.phone, whatsapp_web_contacts.phone),
             name = COALESCE(EXCLUDED.name, whatsapp_web_contacts.name),
             notify = COALESCE(EXCLUDED.notify, whatsapp_web_contacts.notify),
             verified_name = COALESCE(EXCLUDED.verified_name, whatsapp_web_contacts.verified_name),
             updated_at = now()`,
          [
            instanceId,
            jid,
            jid === lid ? null : (lid ?? null),
            phoneOf(pn) ?? null,
            c.name ?? null,
            c.notify ?? null,
            c.verifiedName ?? null,
            !!group,
          ],
        );
      });
    }
  }

  /**
   * A LID-addressed contact and chat in the gateway's own tables become the phone ones: the LID
   * row's chats move to the phone contact, its messages to the phone chat (Evolution #1872).
   */
  private async mergeStoredContact(
    tx: { query: (q: string, p?: unknown[]) => Promise<unknown> },
    instanceId: string,
    pn: string,
    lid: string,
  ): Promise<boolean> {
    const found = (await tx.query(
      `SELECT (SELECT count(*) FROM contacts WHERE instance_id = $1 AND provider_contact_id = $2)
            + (SELECT count(*) FROM chats WHERE instance_id = $1 AND provider_chat_id = $2) AS n`,
      [instanceId, lid],
    )) as { n: string }[];
    if (Number(found[0]?.n ?? 0) === 0) return false;
    await tx.query(
      `UPDATE contacts SET provider_contact_id = $2, phone = COALESCE(phone, $4), updated_at = now()
        WHERE instance_id = $1 AND provider_contact_id = $3
          AND NOT EXISTS (SELECT 1 FROM contacts WHERE instance_id = $1 AND provider_contact_id = $2)`,
      [instanceId, pn, lid, phoneOf(pn)],
    );
    await tx.query(
      `WITH lidchat AS (SELECT id FROM chats WHERE instance_id = $1 AND provider_chat_id = $3),
            pnchat AS (SELECT id FROM chats WHERE instance_id = $1 AND provider_chat_id = $2)
       UPDATE messages SET chat_id = (SELECT id FROM pnchat)
        WHERE chat_id = (SELECT id FROM lidchat) AND EXISTS (SELECT 1 FROM pnchat)`,
      [instanceId, pn, lid],
    );
    await tx.query(
      `UPDATE chats SET provider_chat_id = $2, updated_at = now()
        WHERE instance_id = $1 AND provider_chat_id = $3
          AND NOT EXISTS (SELECT 1 FROM chats WHERE instance_id = $1 AND provider_chat_id = $2)`,
      [instanceId, pn, lid],
    );
    // both existed: the LID leftovers go (their messages moved above)
    await tx.query(
      `DELETE FROM chats WHERE instance_id = $1 AND provider_chat_id = $2
          AND NOT EXISTS (SELECT 1 FROM messages WHERE chat_id = chats.id)`,
      [instanceId, lid],
    );
    await tx.query(`DELETE FROM contacts WHERE instance_id = $1 AND provider_contact_id = $2`, [
      instanceId,
      lid,
    ]);
    return true;
  }

  /** LID → phone JID from what this instance learned (contacts, lid-mapping); sync map for the normalizer. */
  async lidMap(instanceId: string): Promise<Map<string, string>> {
    const rows: { jid: string; lid: string }[] = await this.db.query(
      `SELECT jid, lid FROM whatsapp_web_contacts WHERE instance_id = $1 AND lid IS NOT NULL`,
      [instanceId],
    );
    return new Map(rows.map((r) => [r.lid, r.jid]));
  }

  /** WhatsApp's contacts of the account (seeds: `{id, name, number, isGroup}`). */
  async accountContacts(instanceId: string) {
    const rows: {
      jid: string;
      lid: string | null;
      phone: string | null;
      name: string | null;
      notify: string | null;
      verified_name: string | null;
      is_group: boolean;
    }[] = await this.db.query(
      `SELECT jid, lid, phone, name, notify, verified_name, is_group FROM whatsapp_web_contacts
          WHERE instance_id = $1 ORDER BY COALESCE(name, notify, jid)`,
      [instanceId],
    );
    return rows.map((r) => ({
      id: r.jid,
      name: r.name ?? r.notify ?? r.verified_name ?? null,
      number: r.phone ?? r.jid.split('@')[0],
      isGroup: r.is_group,
      ...(r.lid ? { lid: r.lid } : {}),
    }));
  }

  /** WhatsApp's contacts → the gateway's `contacts` table. @returns how many rows were written. */
  async importContacts(instanceId: string): Promise<number> {
    const rows: unknown[] = await this.db.query(
      `INSERT INTO contacts (instance_id, provider_contact_id, name, push_name, phone, is_group)
       SELECT instance_id, jid, name, notify, phone, is_group FROM whatsapp_web_contacts WHERE instance_id = $1
       ON CONFLICT (instance_id, provider_contact_id) DO UPDATE SET
         name = COALESCE(contacts.name, EXCLUDED.name), push_name = COALESCE(EXCLUDED.push_name, contacts.push_name),
         phone = COALESCE(contacts.phone, EXCLUDED.phone), updated_at = now()
       RETURNING id`,
      [instanceId],
    );
    return rows.length;
  }

  /** Sleeps `ms` unless `signal` aborts first (then resolves early). */
  static async pause(ms: number, signal: AbortSignal): Promise<void> {
    await sleep(ms, undefined, { signal }).catch(() => undefined);
  }

  log(): Logger {
    return this.logger;
  }
}

/** A send WhatsApp does not answer within this many ms is a 503 (never a hang). */
export const SEND_TIMEOUT_MS = 10_000;

/** 409 naming the state: no open socket for the instance in any process. */
export function notConnected(instanceId: string, state: string): ConflictError {
  return new ConflictError(
    'instance_not_connected',
    `WhatsApp Web instance ${instanceId} is not connected (${state}): ` +
      'link it by QR (GET …/qr) or POST …/reconnect first',
  );
}

/** Rejects with a 503 `provider_timeout` after `ms`; engine errors become ProviderErrors. */
export function withTimeout<T>(p: Promise<T>, ms: number, instanceId: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new AppError(
            503,
            'provider_timeout',
            `WhatsApp did not answer within ${ms / 1000} s (instance ${instanceId})`,
            {
              provider: 'whatsapp-web',
            },
          ),
        ),
      ms,
    );
  });
  return Promise.race([p.catch((err) => Promise.reject(providerError(err))), timeout]).finally(() =>
    clearTimeout(timer),
  );
}

/** Engine errors → ProviderError with WhatsApp's status code (Boom `output.statusCode`). */
export function providerError(err: unknown): Error {
  if (err instanceof AppError) return err;
  const e = err as { message?: string; output?: { statusCode?: number }; statusCode?: number };
  const code = e.output?.statusCode ?? e.statusCode;
  const W = 'whatsapp-web';
  if (code === 428 || code === 408 || code === 440 || code === 401)
    return new ProviderError(
      503,
      'instance_not_connected',
      `WhatsApp Web socket is closed (${code}): ${e.message}`,
      W,
      code,
      e.message,
    );
  if (code === 410 || code === 404)
    return new ProviderError(
      422,
      'media_expired',
      `WhatsApp no longer has this media (${code})`,
      W,
      code,
      e.message,
    );
  if (code === 429)
    return new ProviderError(
      429,
      'provider_rate_limited',
      'WhatsApp rate limit (429)',
      W,
      code,
      e.message,
      30,
    );
  return new ProviderError(
    502,
    'provider_error',
    `WhatsApp Web: ${e.message ?? 'request failed'}`,
    W,
    code,
    e.message,
  );
}
