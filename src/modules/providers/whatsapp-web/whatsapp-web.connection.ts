import type { InstanceEntity } from '../../instances-core/instance.entity';
import type { InboundItem, ConnectionContext, ProviderConnection } from '../provider-seams';
import { ConnectionStop } from '../provider-seams';
import type { EngineClose, RawContact, RawKey, RawWAMessage } from './engine';
import { normalizeJid } from './engine';
import { backoffDelay, reconnectPolicy } from './reconnect-policy';
import {
  normalizeReceipt,
  normalizeUpdate,
  normalizeWAMessage,
  upsertEventId,
  WHATSAPP_WEB,
} from './whatsapp-web.normalizer';
import { WhatsAppWebService } from './whatsapp-web.service';

/**
 * One instance's WhatsApp Web socket, run by the connection runtime under its lease (one socket
 * per instance across all processes). `run` keeps the socket up by itself, per the reconnect
 * policy (reconnect-policy.ts): 515 → at once; network trouble → capped exponential backoff with
 * jitter; 440 → ≥ 30 s; 401 → wipe the auth state and stop (`needs_reauth`); QR codes ran out →
 * stop until POST …/reconnect. It resolves when `ctx.signal` aborts (socket closed, no logout)
 * and throws ConnectionStop when reconnecting is pointless until a user acts.
 */
export class WhatsAppWebConnection implements ProviderConnection {
  constructor(
    private readonly instance: InstanceEntity,
    private readonly svc: WhatsAppWebService,
    private readonly opts: { pairingPhone?: string | null } = {},
  ) {}

  async run(ctx: ConnectionContext): Promise<void> {
    const id = this.instance.id;
    const store = this.svc.authStore(id);
    const cfg = this.svc.config.whatsappWeb;
    let failures = 0;
    while (!ctx.signal.aborted) {
      const engine = this.svc.engineFactory(id);
      let qrShown = 0;
      let restartRequested = false;
      // inbound work of this socket runs in order; the close waits for it
      let chain: Promise<void> = Promise.resolve();
      const serial = (job: () => Promise<void>) => {
        chain = chain.then(job).catch((err) => {
          this.svc.log().error({ instanceId: id, err }, 'WhatsApp Web inbound handling failed');
        });
      };
      const lids = await this.svc.lidMap(id);
      let me: { jid: string; lid?: string; name?: string } | undefined;
      const session = {
        instanceId: id,
        engine,
        open: false,
        restart: () => {
          restartRequested = true;
          void engine.stop({ logout: false });
        },
      };
      let settle!: (close: EngineClose) => void;
      const closed = new Promise<EngineClose>((resolve) => {
        settle = resolve;
        engine.on('close', resolve);
      });

      engine.on('qr', (qr, attempt, ttlMs) => {
        qrShown += 1;
        serial(async () => {
          await this.svc.qrReceived(id, qr, attempt, ttlMs);
          ctx.report({ state: 'waiting_for_qr', qr, expiresInMs: ttlMs, attempt });
          if (attempt === 1 && this.opts.pairingPhone) {
            const code = await engine.requestPairingCode(this.opts.pairingPhone);
            const pretty = code.length === 8 ? `${code.slice(0, 4)}-${code.slice(4)}` : code;
            await this.svc.pairingCodeIssued(id, pretty);
            ctx.report({ state: 'waiting_for_pairing_code', pairingCode: pretty });
          }
        });
      });
      engine.on('open', (account) => {
        me = account;
        session.open = true;
        Object.assign(session, { me: account });
        failures = 0;
        serial(async () => {
          await this.svc.opened(id, account);
          ctx.report({
            state: 'connected',
            account: {
              jid: normalizeJid(account.jid),
              ...(account.lid ? { lid: account.lid } : {}),
              ...(account.name ? { name: account.name } : {}),
            },
          });
        });
      });
      engine.on('messages', ({ type, messages }) => {
        if (type === 'append' && !cfg.syncHistory && !messages.every((m) => m.key?.fromMe)) {
          // history / offline appends: only when history sync is on (own echoes always)
          messages = messages.filter((m) => m.key?.fromMe || !isHistory(m));
        }
        const lidToPn = (lid: string) => lids.get(lid);
        if (messages.length === 0) return;
        serial(async () => {
          const keep: RawWAMessage[] = [];
          // our own API sends echo back: the API stores them; messages sent from the phone are kept
          for (const m of messages)
            if (!(m.key?.fromMe && (await this.svc.isOwnSend(id, m.key.id)))) keep.push(m);
          const items = keep.map((raw) =>
            this.item(
              upsertEventId(raw.key),
              raw,
              normalizeWAMessage(raw, { meJid: me?.jid, meName: me?.name, lidToPn }),
            ),
          );
          if (items.length) await ctx.ingest(items);
        });
      });
      engine.on('updates', (updates) => {
        const items = updates.flatMap((u) => {
          const n = normalizeUpdate(u);
          return n ? [this.item(n.eventId, u as unknown as object, n.result)] : [];
        });
        if (items.length) serial(() => ctx.ingest(items));
      });
      engine.on('receipts', (receipts) => {
        const items = receipts.flatMap((r) => {
          const n = normalizeReceipt(r);
          return n ? [this.item(n.eventId, r as unknown as object, n.result)] : [];
        });
        if (items.length) serial(() => ctx.ingest(items));
      });
      engine.on('contacts', (contacts: RawContact[]) => {
        for (const c of contacts) {
          const pn = [c.id, c.phoneNumber].map(normalizeJid).find((j) => j?.endsWith('@s.whatsapp.net'));
          const lid = [c.id, c.lid].map(normalizeJid).find((j) => j?.endsWith('@lid'));
          if (pn && lid) lids.set(lid, pn);
        }
        serial(() => this.svc.upsertContacts(id, contacts));
      });
      engine.on('lid-mapping', (pairs) => {
        for (const p of pairs) {
          const pn = normalizeJid(p.pn.includes('@') ? p.pn : `${p.pn}@s.whatsapp.net`)!;
          const lid = normalizeJid(p.lid.includes('@') ? p.lid : `${p.lid}@lid`)!;
          lids.set(lid, pn);
        }
        serial(() =>
          this.svc.upsertContacts(
            id,
            pairs.map((p) => ({
              id: p.pn.includes('@') ? p.pn : `${p.pn}@s.whatsapp.net`,
              lid: p.lid.includes('@') ? p.lid : `${p.lid}@lid`,
            })),
          ),
        );
      });

      // stopping: ask the socket to close; one that never reports its close must not hold the
      // process's shutdown or the lease, so the run settles STOP_GRACE_MS later regardless
      let grace: NodeJS.Timeout | undefined;
      const onAbort = () => {
        void engine.stop({ logout: false }).catch(() => undefined);
        grace = setTimeout(
          () =>
            settle({
              reason: 'stopped (the socket did not report its close)',
              intentional: true,
              registered: false,
            }),
          STOP_GRACE_MS,
        );
        grace.unref();
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      this.svc.sessions.set(id, session);
      await this.svc.remote
        .serve(id, (call) => this.svc.runLocal(session, call))
        .catch((err) =>
          this.svc
            .log()
            .warn({ instanceId: id, err: (err as Error).message }, 'WhatsApp Web RPC: cannot serve'),
        );
      ctx.report({ state: 'connecting' });
      let close: EngineClose;
      try {
        // aborted while setting up (the listener above never fires for an earlier abort)
        if (ctx.signal.aborted) onAbort();
        else
          await Promise.race([
            closed,
            engine.start({
              instanceId: id,
              auth: store,
              wsUrl: cfg.wsUrl,
              version: cfg.version,
              syncHistory: cfg.syncHistory,
              logLevel: this.svc.config.logLevel,
              getMessage: (key) => this.storedMessage(key),
            }),
          ]);
        close = await closed;
      } catch (err) {
        close = { reason: (err as Error).message, registered: await store.registered().catch(() => false) };
        await engine.stop({ logout: false }).catch(() => undefined);
      } finally {
        clearTimeout(grace);
        ctx.signal.removeEventListener('abort', onAbort);
        if (this.svc.sessions.get(id) === session) {
          this.svc.sessions.delete(id);
          await this.svc.remote.unserve(id);
        }
        session.open = false;
      }
      await chain;
      if (ctx.signal.aborted) {
        await this.svc.clearLogin(id);
        return;
      }
      if (restartRequested) {
        failures = 0;
        continue;
      }
      failures += 1;
      const action = reconnectPolicy(close, { qrShown, failures });
      this.svc
        .log()
        .log(
          { instanceId: id, code: close.code, reason: close.reason, action: action.action, failures },
          `WhatsApp Web socket of ${id} closed (${close.code ?? 'no code'}: ${close.reason}) → ${action.action}`,
        );
      if (action.action === 'now') {
        failures = 0;
        continue;
      }
      if (action.action === 'stop') {
        if (action.wipe) await store.clear();
        await this.svc.clearLogin(id, !!action.wipe || close.code === 401);
        if (close.intentional && close.code === 401) throw new ConnectionStop('logout', 'disconnected');
        throw new ConnectionStop(action.reason, action.status);
      }
      await this.svc.clearLogin(id);
      const delay = backoffDelay(failures, { minMs: action.minDelayMs });
      ctx.report({
        state: 'disconnected',
        reason: `${action.reason} (${close.code ?? 'no code'})`,
        willReconnect: true,
      });
      await WhatsAppWebService.pause(delay, ctx.signal);
    }
  }

  private item(eventId: string, payload: object, result: InboundItem['result']): InboundItem {
    return {
      instance: { id: this.instance.id, provider: WHATSAPP_WEB },
      providerEventId: eventId,
      payload,
      result,
    };
  }

  /** Baileys `getMessage`: the stored raw message for a key (retries, polls). */
  private async storedMessage(key: RawKey): Promise<RawWAMessage | undefined> {
    if (!key.id) return undefined;
    const [row] = await this.svc.db.query(
      `SELECT raw FROM messages WHERE instance_id = $1 AND provider_message_id = $2`,
      [this.instance.id, key.id],
    );
    return (row?.raw as RawWAMessage | undefined) ?? undefined;
  }
}

/** How long a stopped socket may take to report its close before the run ends without it, ms. */
export const STOP_GRACE_MS = 5_000;

/** A message older than 10 minutes in an `append`: history / offline backlog. */
function isHistory(m: RawWAMessage): boolean {
  const ts = Number(
    typeof m.messageTimestamp === 'object'
      ? (m.messageTimestamp as { low?: number })?.low
      : m.messageTimestamp,
  );
  return !Number.isFinite(ts) || Date.now() / 1000 - ts > 600;
}
