import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InstanceEntity } from '../../src/modules/instances-core/instance.entity';
import { ConnectionRuntime } from '../../src/modules/connections/connection-runtime.service';
import {
  FakeEngine,
  fakeWhatsAppWeb as hub,
  incomingText,
} from '../../src/modules/providers/whatsapp-web/fake.engine';
import type { RawWAMessage } from '../../src/modules/providers/whatsapp-web/engine';
import { WhatsAppWebAdapter } from '../../src/modules/providers/whatsapp-web/whatsapp-web.adapter';
import { STOP_GRACE_MS } from '../../src/modules/providers/whatsapp-web/whatsapp-web.connection';
import { WhatsAppWebRemote } from '../../src/modules/providers/whatsapp-web/whatsapp-web.remote';
import { WhatsAppWebService } from '../../src/modules/providers/whatsapp-web/whatsapp-web.service';
import { SecretBox } from '../../src/common/crypto/secret-box';
import { MediaFetcher } from '../../src/common/http/media-fetcher';
import { RedisService } from '../../src/common/redis/redis.service';
import { AppConfig } from '../../src/config/app-config';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { createTenant, startTestApp, TestApp, TestTenant } from '../utils/test-app';

type Row = Record<string, unknown>;

const PHONE = '15550001111@s.whatsapp.net';
/** The fake engine, no send pacing (the runtime picks new instances up within 2 s). */
const APP_ENV = {
  WHATSAPP_WEB_ENGINE: 'fake',
  WHATSAPP_WEB_SEND_GAP_MS: '0',
};
const ALICE = '79001234567@s.whatsapp.net';

/** Polls `fn` until it returns a truthy value (10 s at most). */
async function until<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * WhatsApp Web end to end through the real AppModule, PostgreSQL and Redis, with the scripted
 * fake engine in place of WhatsApp (there is no usable WhatsApp mock server; whatsapp-web.md §5):
 * QR shown → scanned (515) → connected → messages in and out → receipts → logout, plus 401,
 * QR expiry, restart without a new QR, the seeds' QR / status / contacts shapes and LIDs.
 */
describe('WhatsApp Web (e2e, fake engine)', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let alice: TestTenant;
  const active = (id: string) => t.app.get(ConnectionRuntime).active.includes(id);

  const rows = (sql: string, params: unknown[] = []): Promise<Row[]> => t.db.query(sql, params);
  const status = async (id: string) =>
    (await rows('SELECT status, status_reason FROM instances WHERE id = $1', [id]))[0];
  const create = async (config: Row = {}) => {
    const res = await alice.post('/api/instances').send({
      provider: 'whatsapp-web',
      name: 'WA Web',
      config,
      webhookUrl: receiver.url('/wa'),
      retryInterval: 100,
    });
    expect(res.status).toBe(201);
    return res.body as { id: string; status: string };
  };
  const link = async (id: string): Promise<FakeEngine> => {
    const engine = await hub.engine(id);
    await until(async () => (await status(id)).status === 'waiting_for_qr', 'QR');
    await engine.scan({ jid: PHONE, name: 'Fake Phone' });
    await until(async () => (await status(id)).status === 'connected', 'connected');
    return hub.engine(id);
  };

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    t = await startTestApp(APP_ENV);
    alice = await createTenant(t);
  });

  afterEach(async () => {
    // park every instance of the test (the runtime stops their sockets), then reset the fake WhatsApp
    // (TypeORM answers an UPDATE … RETURNING with [rows, affected])
    const [parked]: [{ id: string }[], number] = await t.db.query(
      `UPDATE instances SET status = 'disconnected' WHERE provider = 'whatsapp-web' RETURNING id`,
    );
    expect(Array.isArray(parked)).toBe(true);
    // other specs of the run share the database: only this provider's connections are awaited
    await until(() => !parked.some((p) => active(p.id)), 'connections to stop');
    hub.reset();
  });

  afterAll(async () => {
    await t?.close();
    await receiver?.stop();
  });

  it('links by QR, receives and sends, gets receipts, and logs out (the whole story)', async () => {
    hub.qrDelayMs = 400;
    const { id } = await create();

    // GET /api/providers lists it with qrLogin
    const providers = await alice.get('/api/providers').expect(200);
    const desc = (providers.body.providers as Row[]).find((p) => p.provider === 'whatsapp-web') as Row;
    expect((desc.capabilities as Row).qrLogin).toBe(true);

    // connecting, no QR yet: the seeds' "generating" shape
    const generating = await alice.get(`/api/instances/${id}/qr`).expect(200);
    expect(generating.body).toEqual({
      message: 'QR code generation in progress. Please try again in a few seconds.',
      status: 'generating',
    });

    const engine = await hub.engine(id);
    await until(async () => (await status(id)).status === 'waiting_for_qr', 'first QR');
    const qr = await alice.get(`/api/instances/${id}/qr`).expect(200);
    expect(qr.body).toMatchObject({ status: 'pending', attempt: 1 });
    expect(qr.body.qrCode).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#/);
    expect(qr.body.qrImage).toMatch(/^data:image\/png;base64,/);
    const seedsQr = await alice.get(`/api/whatsapp/${id}/qr`).expect(200);
    expect(seedsQr.body).toMatchObject({ status: 'pending', qrCode: qr.body.qrCode });
    const png = await alice.get(`/api/whatsapp/${id}/qr?format=image`).buffer(true).expect(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect((png.body as Buffer).subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    const bad = await alice.get(`/api/whatsapp/${id}/qr?format=gif`).expect(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(JSON.stringify(bad.body)).toContain('format');
    expect((await alice.get(`/api/whatsapp/${id}/status`).expect(200)).body).toEqual({
      ready: false,
      status: 'waiting_for_qr',
      hasQr: true,
    });
    const listed = await alice.get('/api/instances').expect(200);
    expect(listed.body.instances.find((i: Row) => i.id === id).connectionStatus).toEqual({
      ready: false,
      status: 'waiting_for_qr',
      hasQr: true,
    });

    // qr_received: webhook + activity line, the QR sealed at rest
    const qrHook = await receiver.waitFor(
      (r) => (r.json as Row)?.event === 'qr_received' && (r.json as Row).instanceId === id,
    );
    expect((qrHook.json as Row).data).toEqual({
      instanceId: id,
      qr: qr.body.qrCode,
      qrCode: qr.body.qrCode,
      attempt: 1,
      expiresInMs: 60_000,
    });
    const sealed = await rows('SELECT qr_code_enc FROM whatsapp_web_instances WHERE instance_id = $1', [id]);
    expect(String(sealed[0].qr_code_enc)).toMatch(/^v1\./);
    expect(String(sealed[0].qr_code_enc)).not.toContain('wa.me');
    const activity = await alice.get(`/api/instances/${id}/activity?actions=qr_received`).expect(200);
    expect(activity.body.logs[0]).toMatchObject({
      action: 'qr_received',
      details: { status: 'waiting_for_qr', attempt: 1, expiresInMs: 60_000 },
    });
    expect(JSON.stringify(activity.body)).not.toContain('wa.me');

    // sending before linking: 409 naming the state, quickly
    const early = await alice
      .post(`/api/instances/${id}/messages`)
      .send({ to: '79001234567', type: 'text', text: 'x' });
    expect(early.status).toBe(409);
    expect(early.body.detail).toMatch(/not connected \(waiting_for_qr_scan\)/);

    // the phone scans: creds saved, 515 restart at once, connected
    await engine.scan({ jid: PHONE, name: 'Fake Phone' });
    await until(async () => (await status(id)).status === 'connected', 'connected');
    expect(hub.starts.get(id)).toBe(2); // one restart after pairing, no more
    const connected = await receiver.waitFor(
      (r) => (r.json as Row)?.event === 'connected' && (r.json as Row).instanceId === id,
    );
    expect((connected.json as Row).data).toMatchObject({ instanceId: id, jid: PHONE, name: 'Fake Phone' });
    expect((await alice.get(`/api/whatsapp/${id}/status`).expect(200)).body).toEqual({
      ready: true,
      status: 'connected',
      hasQr: false,
    });
    const linked = await alice.get(`/api/instances/${id}/qr`).expect(409);
    expect(linked.body.code).toBe('already_connected');
    const creds = await rows(
      'SELECT creds, registered, me_jid FROM whatsapp_web_auth_creds WHERE instance_id = $1',
      [id],
    );
    expect(creds[0]).toMatchObject({ registered: true, me_jid: PHONE });
    expect(String(creds[0].creds)).toMatch(/^v1\./);
    expect(String(creds[0].creds)).not.toContain('Fake Phone');
    const detail = await alice.get(`/api/instances/${id}`).expect(200);
    expect(detail.body.config).toMatchObject({ login: 'qr', accountJid: PHONE, accountName: 'Fake Phone' });

    // inbound text
    const live = await hub.engine(id);
    live.deliver(incomingText(ALICE, 'hello from the phone', { id: 'IN1', pushName: 'Alice' }));
    const received = await receiver.waitFor(
      (r) => (r.json as Row)?.event === 'message_received' && (r.json as Row).instanceId === id,
    );
    expect((received.json as Row).data).toMatchObject({ text: 'hello from the phone', type: 'text' });
    const [inRow] = await rows(
      `SELECT m.id, m.text, m.direction, c.provider_chat_id, c.type FROM messages m JOIN chats c ON c.id = m.chat_id
        WHERE m.instance_id = $1 AND m.provider_message_id = 'IN1'`,
      [id],
    );
    expect(inRow).toMatchObject({
      text: 'hello from the phone',
      direction: 'in',
      provider_chat_id: ALICE,
      type: 'private',
    });
    // the same key again (a redelivery) is stored once
    live.deliver(incomingText(ALICE, 'hello from the phone', { id: 'IN1', pushName: 'Alice' }));

    // outbound text, link preview off, the own-echo deduped on the key id
    const sent = await alice
      .post(`/api/instances/${id}/messages`)
      .send({ to: '+7 900 123-45-67', type: 'text', text: 'hi Alice' })
      .expect(201);
    expect(sent.body.status).toBe('sent');
    const last = hub.sent[hub.sent.length - 1];
    expect(last).toMatchObject({ jid: ALICE, content: { text: 'hi Alice', linkPreview: null } });
    expect(sent.body.providerMessageId).toBe(last.message.key.id);

    // reply quotes the stored original
    await alice
      .post(`/api/instances/${id}/messages`)
      .send({ to: '79001234567', type: 'text', text: 'quoted', replyTo: inRow.id })
      .expect(201);
    expect(hub.sent[hub.sent.length - 1].quoted?.key.id).toBe('IN1');

    // receipts move our message forward only
    live.ack(sent.body.providerMessageId, 3, ALICE);
    live.ack(sent.body.providerMessageId, 4, ALICE);
    live.ack(sent.body.providerMessageId, 3, ALICE);
    await until(
      async () =>
        (await rows('SELECT status FROM messages WHERE id = $1', [sent.body.id]))[0].status === 'read',
      'read receipt',
    );
    await new Promise((r) => setTimeout(r, 200));
    expect((await rows('SELECT status FROM messages WHERE id = $1', [sent.body.id]))[0].status).toBe('read');
    expect(
      await rows(
        `SELECT count(*)::int AS n FROM messages WHERE instance_id = $1 AND provider_message_id = $2`,
        [id, sent.body.providerMessageId],
      ),
    ).toEqual([{ n: 1 }]);
    expect(
      await rows(
        `SELECT count(*)::int AS n FROM messages WHERE instance_id = $1 AND provider_message_id = 'IN1'`,
        [id],
      ),
    ).toEqual([{ n: 1 }]);

    // mark as read and typing go to WhatsApp
    await alice
      .post(`/api/instances/${id}/messages/${inRow.id}/read`)
      .expect((r) => expect([200, 201, 204]).toContain(r.status));
    expect(hub.reads[hub.reads.length - 1].keys[0]).toMatchObject({ id: 'IN1', remoteJid: ALICE });

    // logout: unlinked, auth wiped, disconnected {reason: logout, willReconnect: false}
    expect((await alice.post(`/api/whatsapp/${id}/logout`).expect(200)).body).toEqual({ success: true });
    await until(() => !active(id), 'connection to end');
    expect(
      await rows('SELECT count(*)::int AS n FROM whatsapp_web_auth_creds WHERE instance_id = $1', [id]),
    ).toEqual([{ n: 0 }]);
    expect(
      await rows('SELECT count(*)::int AS n FROM whatsapp_web_auth_keys WHERE instance_id = $1', [id]),
    ).toEqual([{ n: 0 }]);
    expect((await status(id)).status).toBe('disconnected');
    const gone = await receiver.waitFor(
      (r) =>
        (r.json as Row)?.event === 'disconnected' &&
        ((r.json as Row).data as Row).reason === 'logout' &&
        (r.json as Row).instanceId === id,
    );
    expect((gone.json as Row).data).toMatchObject({
      status: 'disconnected',
      reason: 'logout',
      willReconnect: false,
    });
    const after = await alice
      .post(`/api/instances/${id}/messages`)
      .send({ to: '79001234567', type: 'text', text: 'x' });
    expect(after.status).toBe(409);
    expect(after.body.detail).toMatch(/disconnected/);
  });

  it('401 from WhatsApp (device removed on the phone) wipes the auth state and needs re-auth', async () => {
    const { id } = await create();
    const engine = await link(id);
    expect(
      await rows('SELECT count(*)::int AS n FROM whatsapp_web_auth_keys WHERE instance_id = $1', [id]),
    ).toEqual([{ n: 1 }]);
    engine.kick(401);
    await until(async () => (await status(id)).status === 'needs_reauth', 'needs_reauth');
    expect(
      await rows('SELECT count(*)::int AS n FROM whatsapp_web_auth_creds WHERE instance_id = $1', [id]),
    ).toEqual([{ n: 0 }]);
    expect(
      await rows('SELECT count(*)::int AS n FROM whatsapp_web_auth_keys WHERE instance_id = $1', [id]),
    ).toEqual([{ n: 0 }]);
    await until(() => !active(id), 'no reconnect after 401');
    expect(hub.starts.get(id)).toBe(2);
    const hook = await receiver.waitFor(
      (r) => (r.json as Row)?.event === 'disconnected' && (r.json as Row).instanceId === id,
    );
    expect((hook.json as Row).data).toMatchObject({ status: 'needs_reauth', willReconnect: false });
    expect(((hook.json as Row).data as Row).reason).toMatch(/logged_out/);
  });

  it('QR codes running out stops until reconnect; reconnect starts a fresh QR cycle', async () => {
    hub.qrTtlMs = 60;
    hub.maxQrs = 3;
    const { id } = await create();
    await hub.engine(id);
    await until(async () => (await status(id)).status === 'disconnected', 'QR cycle to end');
    await until(() => !active(id), 'connection to end');
    expect(hub.starts.get(id)).toBe(1); // 408 after QRs were shown: no retry loop
    expect(await status(id)).toMatchObject({ status: 'disconnected' });
    expect(String((await status(id)).status_reason)).toMatch(/qr_expired/);
    const qrLines = await rows(
      `SELECT details FROM activity_logs WHERE instance_id = $1 AND action = 'qr_received' ORDER BY created_at`,
      [id],
    );
    expect(qrLines.map((r) => (r.details as Row).attempt)).toEqual([1, 2, 3]);
    const stopped = await alice.get(`/api/instances/${id}/qr`).expect(409);
    expect(stopped.body.code).toBe('not_waiting_for_login');
    expect(stopped.body.detail).toMatch(/reconnect/);

    hub.qrTtlMs = 60_000;
    await new Promise((r) => setTimeout(r, 2500)); // a runtime refresh sees it stopped (unparks it)
    const again = await alice.post(`/api/instances/${id}/reconnect`).expect(200);
    expect(again.body).toMatchObject({ status: 'connecting', success: false });
    const targets = await t.app.get(WhatsAppWebAdapter).connectionTargets();
    expect(targets).toContain(id);
    await until(
      async () => (await alice.get(`/api/instances/${id}/qr`)).body.status === 'pending',
      'a new QR',
    );
  });

  it('440 (another session on these credentials) backs off ≥ 30 s instead of fighting', async () => {
    const { id } = await create();
    const engine = await link(id);
    expect(hub.starts.get(id)).toBe(2);
    engine.kick(440, 'replaced');
    await until(async () => (await status(id)).status === 'connecting', 'backing off');
    expect(String((await status(id)).status_reason)).toMatch(/connection_replaced/);
    await new Promise((r) => setTimeout(r, 1500));
    expect(hub.starts.get(id)).toBe(2); // ≥ 30 s before the next attempt
    const [line] = await rows(
      `SELECT details FROM activity_logs WHERE instance_id = $1 AND action = 'disconnected' ORDER BY created_at DESC LIMIT 1`,
      [id],
    );
    expect(line.details).toMatchObject({ status: 'connecting', willReconnect: true });
  });

  it('the seeds’ contacts routes: WhatsApp contacts, add (checked with onWhatsApp), import', async () => {
    const { id } = await create();
    const engine = await link(id);
    engine.contacts([
      { id: ALICE, name: 'Alice A.', notify: 'Alice' },
      { id: '120363012345678901@g.us', name: 'Team' },
    ]);
    const list = await until(async () => {
      const r = await alice.get(`/api/whatsapp/${id}/contacts`).expect(200);
      return r.body.contacts.length === 2 ? r.body : null;
    }, 'contacts');
    expect(list.contacts).toEqual([
      { id: ALICE, name: 'Alice A.', number: '79001234567', isGroup: false },
      { id: '120363012345678901@g.us', name: 'Team', number: '120363012345678901', isGroup: true },
    ]);

    hub.notOnWhatsApp.add('15559990000');
    const missing = await alice
      .post(`/api/whatsapp/${id}/contacts/add`)
      .send({ phone: '15559990000', name: 'Nobody' });
    expect(missing.status).toBe(422);
    expect(missing.body.code).toBe('not_on_whatsapp');
    const added = await alice
      .post(`/api/whatsapp/${id}/contacts/add`)
      .send({ phone: '+1 555 222 3333', name: 'Bob' })
      .expect(201);
    expect(added.body).toEqual({
      success: true,
      message: 'Contact added',
      contact: { id: '15552223333@s.whatsapp.net', number: '15552223333', name: 'Bob' },
    });
    const bad = await alice.post(`/api/whatsapp/${id}/contacts/add`).send({ phone: 'abc' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('phone');

    const imported = await alice.post(`/api/instances/${id}/contacts/import`).expect(201);
    expect(imported.body).toEqual({
      success: true,
      message: 'Successfully imported 3 contacts',
      importedCount: 3,
    });
    const db = await alice.get(`/api/instances/${id}/contacts/db?limit=10`).expect(200);
    expect(db.body.contacts.map((c: Row) => c.remoteJid ?? c.id).length).toBe(3);
    const seeds = await alice.post(`/api/whatsapp/${id}/contacts/import`).expect(201);
    expect(seeds.body.importedCount).toBe(3);
  });

  it('LIDs: a contact is one row whatever WhatsApp addresses it by, and the LID chat merges into the phone chat', async () => {
    const { id } = await create();
    const engine = await link(id);
    // LID-addressed with the phone alternative: stored under the phone
    engine.deliver({
      key: {
        remoteJid: '111222333444555@lid',
        remoteJidAlt: ALICE,
        addressingMode: 'lid',
        fromMe: false,
        id: 'L1',
      },
      message: { conversation: 'via lid' },
      messageTimestamp: String(Math.floor(Date.now() / 1000)),
      pushName: 'Alice',
    });
    // LID only (history-sync style): stored under the LID for now
    engine.deliver({
      key: { remoteJid: '999888777666555@lid', fromMe: false, id: 'L2' },
      message: { conversation: 'lid only' },
      messageTimestamp: Math.floor(Date.now() / 1000),
      pushName: 'Carol',
    });
    await until(
      async () =>
        (await rows(`SELECT 1 FROM messages WHERE instance_id = $1 AND provider_message_id = 'L2'`, [id]))
          .length,
      'L2',
    );
    const chats = await rows(
      `SELECT provider_chat_id FROM chats WHERE instance_id = $1 ORDER BY provider_chat_id`,
      [id],
    );
    expect(chats.map((c) => c.provider_chat_id)).toEqual([ALICE, '999888777666555@lid']);
    const alicePhone = await rows(
      `SELECT phone FROM contacts WHERE instance_id = $1 AND provider_contact_id = $2`,
      [id, ALICE],
    );
    expect(alicePhone).toEqual([{ phone: '79001234567' }]);

    // the mapping is learned: the LID chat and contact become the phone ones, with an activity line
    engine.lidMapping([{ pn: '15557654321@s.whatsapp.net', lid: '999888777666555@lid' }]);
    await until(
      async () =>
        (
          await rows(
            `SELECT 1 FROM chats WHERE instance_id = $1 AND provider_chat_id = '15557654321@s.whatsapp.net'`,
            [id],
          )
        ).length,
      'merge',
    );
    expect(
      await rows(
        `SELECT count(*)::int AS n FROM chats WHERE instance_id = $1 AND provider_chat_id LIKE '%@lid'`,
        [id],
      ),
    ).toEqual([{ n: 0 }]);
    expect(
      await rows(
        `SELECT provider_contact_id, phone FROM contacts WHERE instance_id = $1 AND provider_contact_id LIKE '1555765%'`,
        [id],
      ),
    ).toEqual([{ provider_contact_id: '15557654321@s.whatsapp.net', phone: '15557654321' }]);
    expect(
      await rows(`SELECT details FROM activity_logs WHERE instance_id = $1 AND action = 'contact_merged'`, [
        id,
      ]),
    ).toEqual([{ details: { jid: '15557654321@s.whatsapp.net', lid: '999888777666555@lid' } }]);
    // later messages by the LID land in the same (phone) chat
    engine.deliver({
      key: { remoteJid: '999888777666555@lid', fromMe: false, id: 'L3' },
      message: { conversation: 'again' },
      messageTimestamp: Math.floor(Date.now() / 1000),
    });
    await until(
      async () =>
        (await rows(`SELECT 1 FROM messages WHERE instance_id = $1 AND provider_message_id = 'L3'`, [id]))
          .length,
      'L3',
    );
    const l3 = await rows(
      `SELECT c.provider_chat_id FROM messages m JOIN chats c ON c.id = m.chat_id WHERE m.instance_id = $1 AND m.provider_message_id IN ('L2', 'L3')`,
      [id],
    );
    expect(l3).toEqual([
      { provider_chat_id: '15557654321@s.whatsapp.net' },
      { provider_chat_id: '15557654321@s.whatsapp.net' },
    ]);
    // a reply to either address goes to the same chat on WhatsApp
    await alice
      .post(`/api/instances/${id}/messages`)
      .send({ to: '999888777666555@lid', type: 'text', text: 'to lid' })
      .expect(201);
    expect(hub.sent[hub.sent.length - 1].jid).toBe('999888777666555@lid');
  });

  // media out (by URL, fetched by the gateway, and uploaded): whatsapp-web-media.e2e-spec.ts
  it('media in (streamed from WhatsApp), edits, revokes and reactions on stored messages', async () => {
    const { id } = await create();
    const engine = await link(id);
    const F = JSON.parse(
      readFileSync(join(__dirname, '../fixtures/whatsapp-web/messages.json'), 'utf8'),
    ) as Record<string, RawWAMessage>;
    // the original arrives, then WhatsApp's edit, a reaction to it, and a document
    engine.deliver({ ...F.original, key: { ...F.original.key, fromMe: false }, pushName: 'Alice' });
    hub.media.set('3EB0DOC000000001', Buffer.from('%PDF-1.4 fixture\n'));
    engine.deliver(F.document);
    engine.deliver(F.reaction);
    engine.deliver(F.edit);
    const stored = (pid: string) =>
      rows(
        `SELECT id, type, text, edited_at, reaction, media FROM messages WHERE instance_id = $1 AND provider_message_id = $2`,
        [id, pid],
      );
    await until(async () => (await stored('3EB0ORIGINAL0001'))[0]?.edited_at, 'edit');
    expect((await stored('3EB0ORIGINAL0001'))[0]).toMatchObject({ type: 'text', text: 'edited text' });
    expect((await stored('3EB0REACT0000001'))[0]).toMatchObject({
      type: 'reaction',
      reaction: { messageId: '3EB0ORIGINAL0001', emoji: '👍' },
    });
    const [doc] = await stored('3EB0DOC000000001');
    expect(doc).toMatchObject({
      type: 'document',
      text: 'the invoice',
      media: { fileName: 'invoice.pdf', mimeType: 'application/pdf' },
    });
    const file = await alice.get(`/api/instances/${id}/messages/${doc.id}/media`).buffer(true).expect(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.headers['content-disposition']).toContain('invoice.pdf');
    expect(Buffer.from(file.body as Buffer).toString()).toBe('%PDF-1.4 fixture\n');
    // revoke: the original is marked deleted
    engine.deliver(F.revoke);
    await until(async () => (await stored('3EB0ORIGINAL0001'))[0]?.type === 'deleted', 'revoke');

    // outbound location, contacts, reaction to a stored message
    const send = (body: Row) =>
      alice
        .post(`/api/instances/${id}/messages`)
        .send({ to: '79001234567', ...body })
        .expect(201);
    await send({ type: 'location', latitude: 55.75, longitude: 37.61, name: 'Here' });
    expect(hub.sent[hub.sent.length - 1].content).toEqual({
      location: { degreesLatitude: 55.75, degreesLongitude: 37.61, name: 'Here' },
    });
    await send({ type: 'contacts', contacts: [{ name: 'Ivan', phone: '+7 900 555-66-77' }] });
    expect(
      (hub.sent[hub.sent.length - 1].content as { contacts: { contacts: { vcard: string }[] } }).contacts
        .contacts[0].vcard,
    ).toContain('waid=79005556677');
    await send({ type: 'reaction', messageId: doc.id, emoji: '🔥' });
    expect(hub.sent[hub.sent.length - 1].content).toEqual({
      react: {
        text: '🔥',
        key: { remoteJid: '79001234567@s.whatsapp.net', fromMe: false, id: '3EB0DOC000000001' },
      },
    });
    // a provider failure comes back with WhatsApp's code, never a 500
    engine.failSend(Object.assign(new Error('rate-overlimit'), { statusCode: 429 }));
    const limited = await alice
      .post(`/api/instances/${id}/messages`)
      .send({ to: '79001234567', type: 'text', text: 'x' });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({
      code: 'provider_rate_limited',
      provider: 'whatsapp-web',
      providerCode: 429,
    });
    const bad = await alice
      .post(`/api/instances/${id}/messages`)
      .send({ to: 'not-a-number', type: 'text', text: 'x' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.errors)).toContain('"to"');
  });

  it('another process (no socket) reaches the socket this one holds through Redis: sends, reads, media, pairing code', async () => {
    // "the API process": its own Redis connection and service, no sessions, same database
    const config = t.app.get(AppConfig);
    const redis2 = new RedisService(config);
    const remote2 = new WhatsAppWebRemote(redis2);
    const svc = t.app.get(WhatsAppWebService);
    const svc2 = new WhatsAppWebService(t.db, t.app.get(SecretBox), config, svc.engineFactory, remote2);
    const apiSide = new WhatsAppWebAdapter(svc2, t.db, config, t.app.get(MediaFetcher));
    try {
      const { id } = await create();
      const instance = () => t.db.getRepository(InstanceEntity).findOneByOrFail({ id });
      await hub.engine(id);
      await until(async () => (await status(id)).status === 'waiting_for_qr', 'QR');
      // while waiting for the scan: the pairing code comes from the holder's socket
      expect(await apiSide.pairingCode(await instance(), '79001234567')).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
      await expect(
        apiSide.send(await instance(), { to: '79001234567', type: 'text', text: 'x' }),
      ).rejects.toMatchObject({
        status: 409,
        message: expect.stringContaining('waiting_for_qr_scan'),
      });
      await (await hub.engine(id)).scan({ jid: PHONE, name: 'Fake Phone' });
      await until(async () => (await status(id)).status === 'connected', 'connected');
      const engine = await hub.engine(id);

      const sent = await apiSide.send(await instance(), {
        to: '+79001234567',
        type: 'text',
        text: 'from the api process',
      });
      const last = hub.sent[hub.sent.length - 1];
      expect(last).toMatchObject({
        instanceId: id,
        jid: ALICE,
        content: { text: 'from the api process', linkPreview: null },
      });
      expect(sent).toMatchObject({ providerMessageId: last.message.key.id, providerChatId: ALICE });
      // the echo reached the holder, which knew it as an API send: not stored as a phone-sent message
      await new Promise((r) => setTimeout(r, 300));
      expect(
        await rows(
          `SELECT count(*)::int AS n FROM messages WHERE instance_id = $1 AND provider_message_id = $2`,
          [id, last.message.key.id],
        ),
      ).toEqual([{ n: 0 }]);

      hub.media.set('RPC2', Buffer.from('bytes over redis'));
      engine.deliver({
        key: { remoteJid: ALICE, fromMe: false, id: 'RPC2' },
        message: { documentMessage: { mimetype: 'text/plain', fileName: 'a.txt', fileLength: '16' } },
        messageTimestamp: Math.floor(Date.now() / 1000),
      });
      await until(
        async () =>
          (await rows(`SELECT 1 FROM messages WHERE instance_id = $1 AND provider_message_id = 'RPC2'`, [id]))
            .length,
        'RPC2',
      );
      const media = await apiSide.downloadMedia(await instance(), 'RPC2');
      const chunks: Buffer[] = [];
      for await (const c of media.stream) chunks.push(Buffer.from(c as Buffer));
      expect(Buffer.concat(chunks).toString()).toBe('bytes over redis');
      expect(media).toMatchObject({ contentType: 'text/plain', fileName: 'a.txt', size: 16 });
      await apiSide.markRead(await instance(), 'RPC2', ALICE);
      expect(hub.reads[hub.reads.length - 1].keys[0]).toMatchObject({ id: 'RPC2', remoteJid: ALICE });
      await apiSide.typing(await instance(), ALICE, true);
      expect(hub.presences[hub.presences.length - 1]).toEqual({
        instanceId: id,
        jid: ALICE,
        presence: 'composing',
      });

      // the holder stops: no process holds the socket → 409 at once, never a hang
      // logout from the process without the socket: the holder unlinks the device (logout, 401)
      await apiSide.disconnect(await instance(), { logout: true });
      await until(() => !active(id), 'socket closed');
      expect(
        await rows('SELECT count(*)::int AS n FROM whatsapp_web_auth_creds WHERE instance_id = $1', [id]),
      ).toEqual([{ n: 0 }]);
      expect((await status(id)).status).toBe('disconnected');
      const startedAt = Date.now();
      await expect(
        apiSide.send(await instance(), { to: '79001234567', type: 'text', text: 'y' }),
      ).rejects.toMatchObject({
        status: 409,
        code: 'instance_not_connected',
      });
      expect(Date.now() - startedAt).toBeLessThan(1000);
    } finally {
      await remote2.onModuleDestroy();
      await redis2.onApplicationShutdown();
    }
  });

  it('links by pairing code: POST …/pairing-code while waiting for a scan, or config.phoneNumber at creation', async () => {
    const { id } = await create();
    const missing = await alice.post(`/api/instances/${id}/pairing-code`).send({ phoneNumber: '12' });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain('phoneNumber');
    await hub.engine(id);
    await until(async () => (await status(id)).status === 'waiting_for_qr', 'QR');
    const code = await alice
      .post(`/api/instances/${id}/pairing-code`)
      .send({ phoneNumber: '+79001234567' })
      .expect(200);
    expect(code.body.code).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
    const qr = await alice.get(`/api/instances/${id}/qr`).expect(200);
    expect(qr.body).toEqual({ status: 'pairing_code', pairingCode: code.body.code });
    // WhatsApp rotates the QR meanwhile: the code stays valid and shown (it belongs to the socket)
    const qrLines = async () =>
      (await alice.get(`/api/instances/${id}/activity?actions=qr_received`).expect(200)).body.logs.length;
    const before = await qrLines();
    (await hub.engine(id)).emitQr();
    await until(async () => (await qrLines()) > before, 'the next QR');
    expect((await alice.get(`/api/instances/${id}/qr`).expect(200)).body).toEqual({
      status: 'pairing_code',
      pairingCode: code.body.code,
    });
    await (await hub.engine(id)).scan({ jid: PHONE });
    await until(async () => (await status(id)).status === 'connected', 'connected');
    const linked = await alice.post(`/api/instances/${id}/pairing-code`).send({ phoneNumber: '79001234567' });
    expect(linked.status).toBe(409);
    expect(linked.body.code).toBe('not_waiting_for_login');

    // config.phoneNumber: the code is asked for with the first QR
    const byPhone = await create({ phoneNumber: '79001234567' });
    await until(
      async () => (await alice.get(`/api/instances/${byPhone.id}/qr`)).body.status === 'pairing_code',
      'code',
    );
    const shown = await alice.get(`/api/instances/${byPhone.id}/qr`).expect(200);
    expect(shown.body.pairingCode).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
    // the instance is `connecting` from its creation: wait for the pairing code's reason, not the status alone
    await until(async () => {
      const s = await status(byPhone.id);
      return s.status === 'connecting' && /pairing code/.test(String(s.status_reason));
    }, 'pairing code status');
    const detail = await alice.get(`/api/instances/${byPhone.id}`).expect(200);
    expect(detail.body.config).toMatchObject({ login: 'pairing_code', phoneNumber: '79001234567' });
    // the activity log says a pairing code was issued, not that the instance disconnected
    const lines = await alice.get(`/api/instances/${byPhone.id}/activity`).expect(200);
    const actions = (lines.body.logs as Row[]).map((l) => l.action);
    expect(actions).toContain('pairing_code');
    expect(actions).not.toContain('disconnected');
  });

  // last: it restarts the app.
  it('405 (WA Web version rejected) ends as status error naming the fix, keeps the link, and POST …/reconnect restarts it', async () => {
    const { id } = await create();
    const engine = await link(id);
    engine.kick(405);
    await until(async () => (await status(id)).status === 'error', 'status error');
    expect((await status(id)).status_reason).toMatch(/version_rejected.*WHATSAPP_WEB_VERSION/);
    await until(() => !active(id), 'no reconnect after 405');
    expect(hub.starts.get(id)).toBe(2); // the pairing restart, then nothing
    // not a logout: the credentials stay, so a reconnect comes back without a QR
    expect(
      await rows('SELECT count(*)::int AS n FROM whatsapp_web_auth_creds WHERE instance_id = $1', [id]),
    ).toEqual([{ n: 1 }]);
    const hook = await receiver.waitFor(
      (r) => (r.json as Row)?.event === 'disconnected' && (r.json as Row).instanceId === id,
    );
    expect((hook.json as Row).data).toMatchObject({ status: 'error', willReconnect: false });
    const activity = await alice.get(`/api/instances/${id}/activity?actions=disconnected`).expect(200);
    expect(activity.body.logs[0].details).toMatchObject({ status: 'error', willReconnect: false });
    await alice.post(`/api/instances/${id}/reconnect`).expect(200);
    await until(async () => (await status(id)).status === 'connected', 'connected again');
    expect(hub.starts.get(id)).toBe(3);
  });

  it('a socket that never reports its close still lets its connection stop (no hung shutdown)', async () => {
    const { id } = await create();
    await link(id);
    hub.wedged = true; // stop() is ignored and no close ever comes
    const stoppedAt = Date.now();
    await t.db.query(`UPDATE instances SET status = 'disconnected' WHERE id = $1`, [id]);
    // the runtime's refresh (≤ 2 s) aborts it; the run settles STOP_GRACE_MS later without the close
    await until(() => !active(id), 'the wedged connection to stop', STOP_GRACE_MS + 8_000);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(STOP_GRACE_MS);
    expect(hub.engines.get(id)?.isOpen).toBe(true); // the fake socket itself never closed
    hub.wedged = false;
  }, 30_000);

  it('two worker processes never open two sockets for one instance; the second takes over when the first stops', async () => {
    const { id } = await create();
    await link(id);
    const startsBefore = hub.starts.get(id);
    const second = await startTestApp(APP_ENV); // a second gateway (APP_ROLE=all) on the same database and Redis
    try {
      let most = 0;
      const watch = setInterval(() => (most = Math.max(most, hub.open.get(id) ?? 0)), 10);
      try {
        // several refreshes of the second runtime (every ≤ 2 s): it waits for the lease, opens nothing
        await new Promise((r) => setTimeout(r, 5_000));
        expect(hub.starts.get(id)).toBe(startsBefore);
        expect(second.app.get(ConnectionRuntime).active).not.toContain(id);
        // the first process stops (shutdown releases the lease): the second takes the socket over
        const first = t;
        t = second; // status() and afterEach/afterAll go through the second process from here
        await first.close();
        await until(
          () => second.app.get(ConnectionRuntime).active.includes(id) && hub.engines.get(id)?.isOpen,
          'the second process to take over',
          20_000,
        );
        await until(async () => (await status(id)).status === 'connected', 'connected again');
      } finally {
        clearInterval(watch);
      }
      expect(most).toBe(1);
      expect(hub.open.get(id)).toBe(1);
      expect(hub.starts.get(id)).toBe((startsBefore ?? 0) + 1); // linked: no QR, one new socket
    } finally {
      if (t !== second) await second.close();
      else alice = await createTenant(t); // the tenant's client was bound to the first process
    }
  }, 90_000);

  it('a linked instance comes back after a gateway restart without a new QR', async () => {
    const { id } = await create();
    await link(id);
    const qrLines = async () =>
      hook_count(
        await rows(
          `SELECT count(*)::int AS n FROM activity_logs WHERE instance_id = $1 AND action = 'qr_received'`,
          [id],
        ),
      );
    const before = await qrLines();
    await t.close(); // shutdown: sockets closed without logout, leases released
    expect(hub.open.get(id)).toBe(0);
    t = await startTestApp(APP_ENV);
    await until(
      async () => hub.engines.get(id)?.isOpen && (await status(id)).status === 'connected',
      'reconnected',
    );
    expect(hub.starts.get(id)).toBe(3);
    expect(await qrLines()).toBe(before);
  }, 90_000); // closes and boots the app: slow on a loaded machine
});

function hook_count(r: Row[]): number {
  return Number(r[0].n);
}
