import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Client } from 'pg';
import { FakeGraphApi } from '../fakes/fake-graph-api';
import { freePort } from '../utils/free-port';
import { NatsServerProcess } from '../utils/nats-server';
import { eventually, startTestApp, TestApp } from '../utils/test-app';

/** A number of its own: the run's database is shared with the other specs (phone numbers are unique). */
const PHONE = '100000000000777';
const TOKEN = 'EAAGm0PX4ZCpsBAKfaulttoken';
const APP_SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const STREAM = 'SBFAULT';
const N = 20;

function textWebhook(wamid: string, body: string) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: PHONE },
              contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
              messages: [
                { from: '16505551234', id: wamid, timestamp: '1749416383', type: 'text', text: { body } },
              ],
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}

/** Every message the stream holds: subject, Nats-Msg-Id and body. */
async function streamContents(url: string): Promise<{ subject: string; msgId: string; data: unknown }[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(STREAM);
    const out: { subject: string; msgId: string; data: unknown }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq += 1) {
      const m = await jsm.streams.getMessage(STREAM, { seq });
      if (!m) continue;
      out.push({ subject: m.subject, msgId: m.header.get('Nats-Msg-Id'), data: m.json() });
    }
    return out;
  } finally {
    await nc.close();
  }
}

/**
 * At-least-once across a NATS outage and a gateway restart, against a real `nats-server -js`
 * on its own port (never the shared 4222): stop the server, ingest 20 webhooks, restart the
 * gateway, start the server again (one worker killed holding a claim on 10 of them) → all 20
 * published once each; a redelivery (the publisher
 * died after the acks, before deleting its rows) carries the same `Nats-Msg-Id` and JetStream
 * drops it.
 */
describe('NATS publisher faults (e2e)', () => {
  let nats: NatsServerProcess;
  let graph: FakeGraphApi;
  let t: TestApp;
  let port: number;

  const boot = async () => {
    t = await startTestApp(
      {
        NATS_URL: nats.url,
        NATS_STREAM: STREAM,
        GRAPH_API_BASE_URL: graph.baseUrl,
        WA_FAULTS: `${PHONE}:${TOKEN}`,
        WEBHOOK_VERIFY_TOKEN: 'verify',
        APP_SECRET,
      },
      port,
    );
  };
  const pending = async () => (await t.db.query('SELECT count(*)::int AS n FROM nats_outbox'))[0].n as number;

  beforeAll(async () => {
    nats = await NatsServerProcess.start();
    graph = await FakeGraphApi.start();
    graph.addPhoneNumber(PHONE, { token: TOKEN });
    port = await freePort();
    await boot();
  });

  afterAll(async () => {
    await t?.close();
    await graph?.stop();
    await nats?.destroy();
  });

  it('loses nothing across a NATS outage, a gateway restart and a killed worker; duplicates only with the same Nats-Msg-Id', async () => {
    // the stream exists once the publisher is connected
    await eventually(async () => (await t.http().get('/health/ready')).status === 200, 10_000, 'ready');

    await nats.stop();
    const notReady = await eventually(
      async () => {
        const r = await t.http().get('/health/ready');
        return r.status === 503 && r;
      },
      10_000,
      'not ready while NATS is down',
    );
    expect(notReady.body.details.nats).toMatchObject({ status: 'down', connected: false });

    const wamids = Array.from({ length: N }, (_, i) => `wamid.FAULT${String(i).padStart(4, '0')}`);
    for (const [i, wamid] of wamids.entries()) {
      const res = await graph.pushWebhook(
        `${t.baseUrl}/webhook`,
        textWebhook(wamid, `message ${i}`),
        APP_SECRET,
      );
      expect(res.status).toBe(200); // Meta is answered from PostgreSQL, NATS or not
    }
    // each webhook: its archived request, one archived event and one message_received event wait in the outbox
    expect(await pending()).toBe(3 * N);

    // the gateway restarts while NATS is still down
    await t.close();
    await boot();
    expect(await pending()).toBe(3 * N);

    // a worker that claimed 10 rows and is killed before it could publish them: its claim is a row
    // lock in an open transaction, which dies with its connection
    const killed = new Client({ connectionString: process.env.DATABASE_URL });
    await killed.connect();
    killed.on('error', () => {});
    await killed.query('BEGIN');
    const claimed = await killed.query(
      'SELECT id FROM nats_outbox ORDER BY id LIMIT 10 FOR UPDATE SKIP LOCKED',
    );
    expect(claimed.rows).toHaveLength(10);

    await nats.start();
    // everything else is published meanwhile; the claimed rows wait for their worker
    await eventually(async () => (await pending()) === 10, 20_000, 'all but the claimed rows published');
    const [{ pid }] = (await killed.query('SELECT pg_backend_pid() AS pid')).rows;
    await t.db.query('SELECT pg_terminate_backend($1)', [pid]);
    await eventually(async () => (await pending()) === 0, 20_000, 'outbox drained');

    const stored = await streamContents(nats.url);
    const messages = stored.filter((m) => m.subject === 'whatsapp.faults.in.message');
    expect(messages.map((m) => (m.data as { id: string }).id).sort()).toEqual(wamids);
    const archive: { id: string; wamid: string }[] = await t.db.query(
      `SELECT id::text, provider_event_id AS wamid FROM inbound_events WHERE provider_event_id LIKE 'wamid.FAULT%'`,
    );
    for (const m of messages) {
      const row = archive.find((a) => a.wamid === (m.data as { id: string }).id)!;
      expect(m.msgId).toBe(`in:${row.id}:message`);
    }
    expect(stored.filter((m) => m.subject === 'whatsapp.faults.in.message.text')).toHaveLength(N);
    // one in.webhook per request, the body as sent, Nats-Msg-Id req:<provider>:<instance>:<sha256>
    const hooks = stored.filter((m) => m.subject === 'whatsapp.faults.in.webhook');
    expect(hooks.map((m) => m.msgId).sort()).toEqual(
      (
        await t.db.query(
          `SELECT 'req:' || provider || ':' || instance_id || ':' || body_sha256 AS id FROM inbound_requests
            WHERE id IN (SELECT request_id FROM inbound_events WHERE provider_event_id LIKE 'wamid.FAULT%')`,
        )
      )
        .map((r: { id: string }) => r.id)
        .sort(),
    );
    expect(hooks).toHaveLength(N);
    expect(stored.filter((m) => m.subject === 'switchboard.whatsapp.faults.message_received')).toHaveLength(
      N,
    );
    const ids = stored.map((m) => m.msgId);
    expect(new Set(ids).size).toBe(ids.length);

    // a redelivery: the rows come back as if the publisher died after JetStream's acks, before its DELETE
    const before = stored.length;
    await t.db.query(
      `INSERT INTO nats_outbox (source, ref_id) SELECT 'inbound', id::text FROM inbound_events WHERE provider_event_id LIKE 'wamid.FAULT%'`,
    );
    await t.db.query(
      `INSERT INTO nats_outbox (source, ref_id) SELECT 'request', request_id::text FROM inbound_events WHERE provider_event_id LIKE 'wamid.FAULT%'`,
    );
    await eventually(async () => (await pending()) === 0, 10_000, 'redelivery published');
    const metrics = await t.http().get('/metrics').expect(200);
    const duplicates = Number(
      /^switchboard_nats_published_total\{outcome="duplicate"\} (\d+)$/m.exec(metrics.text)?.[1],
    );
    // in.webhook (the request), in.message and in.message.text of each: all dropped by JetStream as duplicates
    expect(duplicates).toBeGreaterThanOrEqual(3 * N);
    expect(await streamContents(nats.url)).toHaveLength(before);
  });
});
