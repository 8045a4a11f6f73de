import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { SecretBox } from '../../src/common/crypto/secret-box';
import { InstanceEntity } from '../../src/modules/instances-core/instance.entity';
import { ConnectionRuntime } from '../../src/modules/connections/connection-runtime.service';
import { WhatsAppWebAuthStore } from '../../src/modules/providers/whatsapp-web/auth-store';
import { loadBaileys, pgAuthState } from '../../src/modules/providers/whatsapp-web/baileys.engine';
import { createTenant, startTestApp, TestApp, TestTenant } from '../utils/test-app';

/**
 * The real Baileys 7.0.0-rc14 code paths without WhatsApp (providers/whatsapp-web.md §5.2.4):
 * (a) the PostgreSQL auth store round-trips real creds and signal keys through BufferJSON and the
 *     secret box, transactionally, behind makeCacheableSignalKeyStore;
 * (b) the real socket, pointed by WHATSAPP_WEB_WS_URL at a local WebSocket server that drops every
 *     connection, backs off (no storm), reports its status and stops cleanly on abort.
 */
describe('WhatsApp Web on real Baileys (auth store, socket against a dropping server)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let wss: WebSocketServer;
  const connections: { at: number; path: string; origin?: string }[] = [];

  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', (ws, req) => {
      connections.push({ at: Date.now(), path: req.url ?? '', origin: req.headers.origin });
      // read the client hello, then drop the connection (WhatsApp unreachable / closing on us)
      ws.once('message', () => ws.close());
    });
    await new Promise((r) => wss.once('listening', r));
    const port = (wss.address() as AddressInfo).port;
    t = await startTestApp({
      WHATSAPP_WEB_ENGINE: 'baileys',
      WHATSAPP_WEB_WS_URL: `ws://127.0.0.1:${port}/ws/chat`,
    });
    alice = await createTenant(t);
  });

  afterAll(async () => {
    await t?.close();
    await new Promise((r) => wss?.close(r));
  });

  const active = (id: string) => t.app.get(ConnectionRuntime).active.includes(id);
  const until = async (fn: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000) => {
    const started = Date.now();
    while (!(await fn())) {
      if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const createInstance = async () => {
    const res = await alice
      .post('/api/instances')
      .send({ provider: 'whatsapp-web', name: 'real baileys', config: {} });
    expect(res.status).toBe(201);
    return t.db.getRepository(InstanceEntity).findOneByOrFail({ id: res.body.id });
  };
  /** Parks an instance (the runtime stops its socket) and waits for it. */
  const park = async (id: string) => {
    await t.db.query(`UPDATE instances SET status = 'disconnected' WHERE id = $1`, [id]);
    await until(() => !active(id), 'the runtime to stop the connection');
  };

  it('auth store: real creds and keys round-trip (BufferJSON + secret box), set is one transaction', async () => {
    const b = await loadBaileys();
    const instance = await createInstance();
    await park(instance.id); // the store is exercised here, not by a socket the runtime would open
    const store = new WhatsAppWebAuthStore(t.db, t.app.get(SecretBox), instance.id);
    await store.clear();

    const first = await pgAuthState(b, store);
    expect(Buffer.isBuffer(first.creds.noiseKey.private)).toBe(true);
    // a fresh state was saved at once; a second load reads the very same keys back
    const again = await pgAuthState(b, store);
    expect(Buffer.from(again.creds.noiseKey.private)).toEqual(Buffer.from(first.creds.noiseKey.private));
    expect(Buffer.from(again.creds.signedIdentityKey.public)).toEqual(
      Buffer.from(first.creds.signedIdentityKey.public),
    );
    expect(again.creds.advSecretKey).toBe(first.creds.advSecretKey);
    expect(again.creds.registrationId).toBe(first.creds.registrationId);
    const [row] = await t.db.query(
      `SELECT creds, registered FROM whatsapp_web_auth_creds WHERE instance_id = $1`,
      [instance.id],
    );
    expect(row.registered).toBe(false);
    expect(row.creds).toMatch(/^v1\./);
    expect(row.creds).not.toContain(first.creds.advSecretKey);

    // keys through makeCacheableSignalKeyStore, as the socket uses them
    const keys = b.makeCacheableSignalKeyStore(first.keys);
    const preKey = b.Curve.generateKeyPair();
    const syncKey = { keyData: Buffer.from('0123456789abcdef'), timestamp: 1796350330 };
    await keys.set({
      'pre-key': { '1': preKey, '2': b.Curve.generateKeyPair() },
      session: { '79001234567.0': Buffer.from([1, 2, 3]) as never },
      'app-state-sync-key': { AAAAAG3l: syncKey as never },
      'lid-mapping': { '79001234567': '111222333444555', '111222333444555_reverse': '79001234567' },
    });
    // read back through a fresh (uncached) state: from PostgreSQL, not the cache
    const cold = (await pgAuthState(b, store)).keys;
    const got = await cold.get('pre-key', ['1', '3']);
    expect(Object.keys(got)).toEqual(['1']);
    expect(Buffer.from(got['1'].private)).toEqual(Buffer.from(preKey.private));
    const session = await cold.get('session', ['79001234567.0']);
    expect(Buffer.from(session['79001234567.0'] as unknown as Uint8Array)).toEqual(Buffer.from([1, 2, 3]));
    const sync = await cold.get('app-state-sync-key', ['AAAAAG3l']);
    expect(sync.AAAAAG3l).toBeInstanceOf(b.proto.Message.AppStateSyncKeyData);
    expect(Buffer.from(sync.AAAAAG3l.keyData!).toString()).toBe('0123456789abcdef');
    expect(await store.pnForLid('111222333444555')).toBe('79001234567');
    const sealed = await t.db.query(
      `SELECT type, id, value FROM whatsapp_web_auth_keys WHERE instance_id = $1 ORDER BY type, id`,
      [instance.id],
    );
    expect(sealed.map((r: { type: string; id: string }) => `${r.type}/${r.id}`)).toEqual([
      'app-state-sync-key/AAAAAG3l',
      'lid-mapping/111222333444555_reverse',
      'lid-mapping/79001234567',
      'pre-key/1',
      'pre-key/2',
      'session/79001234567.0',
    ]);
    for (const r of sealed) expect(r.value).toMatch(/^v1\./);

    // null deletes; a failing batch writes nothing and throws (Baileys retries the transaction)
    await keys.set({ 'pre-key': { '2': null } });
    expect(Object.keys(await cold.get('pre-key', ['1', '2']))).toEqual(['1']);
    await expect(
      store.setKeys([
        { type: 'pre-key', id: '9', value: '{}' },
        { type: null as never, id: 'x', value: '{}' },
      ]),
    ).rejects.toThrow();
    expect((await store.getKeys('pre-key', ['9'])).size).toBe(0);

    // wiped on logout / 401
    await store.clear();
    expect(await store.readCreds()).toBeNull();
    expect(
      await t.db.query(`SELECT count(*)::int AS n FROM whatsapp_web_auth_keys WHERE instance_id = $1`, [
        instance.id,
      ]),
    ).toEqual([{ n: 0 }]);
  });

  it('the real socket (run by the connection runtime) against a server that drops it: backs off without a storm, reports, stops', async () => {
    connections.length = 0;
    const started = Date.now();
    const instance = await createInstance();
    await until(() => connections.length > 0, 'the first connection', 15_000);
    const first = connections[0].at;
    await new Promise((r) => setTimeout(r, 6500));
    const during = connections.filter((c) => c.at <= first + 6500).length;

    // Baileys really connected: the WA Web path and origin
    expect(connections[0]).toMatchObject({ path: '/ws/chat', origin: 'https://web.whatsapp.com' });
    expect(first - started).toBeLessThan(5000);
    // retried with growing gaps: 1 + (0.5–1 s) + (1–2 s) + (2–4 s) → 2 to 5 attempts in 6.5 s, never dozens
    expect(during).toBeGreaterThanOrEqual(2);
    expect(during).toBeLessThanOrEqual(5);
    const gaps = connections.slice(1).map((c, i) => c.at - connections[i].at);
    // never two attempts closer than the first backoff step (0.5 s): no reconnect storm
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(450);
    // status: connecting (it retries) with the DisconnectReason (428 connection closed); never a QR or connected
    const [row] = await t.db.query(`SELECT status, status_reason FROM instances WHERE id = $1`, [
      instance.id,
    ]);
    expect(row.status).toBe('connecting');
    expect(row.status_reason).toMatch(/428/);
    const lifecycle = await t.db.query(
      `SELECT count(*)::int AS n FROM activity_logs WHERE instance_id = $1 AND action IN ('qr_received', 'connected')`,
      [instance.id],
    );
    expect(lifecycle).toEqual([{ n: 0 }]);

    // stopped (the instance no longer wants a connection): the socket closes, nothing retries
    const stoppedAt = Date.now();
    await park(instance.id);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    const after = connections.length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(connections.length).toBe(after);
  });
});
