import { FakeGraphApi, hubSignature256 } from '../fakes/fake-graph-api';
import { createTenant, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const PHONE = '106540352242977';
const TOKEN = 'EAAGm0PX4ZCpsBAKtokenP';
const SECRET = 'c0ffee0123456789c0ffee0123456789';

/** One webhook POST carrying one text message per wamid, each in its own change. */
function webhook(wamids: string[]): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340377',
        changes: wamids.map((id, i) => ({
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550783877', phone_number_id: PHONE },
            contacts: [{ profile: { name: 'Batch Sender' }, wa_id: '16505550001' }],
            messages: [
              { from: '16505550001', id, timestamp: '1749416383', type: 'text', text: { body: `m${i}` } },
            ],
          },
        })),
      },
    ],
  });
}

/**
 * The generic inbound pipeline (inbound/): every item of one provider request is stored in ONE
 * transaction (ConversationsService.ingestBatch) before the provider is answered, so a failure
 * while storing any item stores none of them and the provider's retry stores all.
 */
describe('Inbound pipeline (e2e)', () => {
  let t: TestApp;
  let graph: FakeGraphApi;
  let alice: TestTenant;
  let instanceId: string;

  const post = (raw: string) =>
    t
      .http()
      .post('/webhooks/whatsapp')
      .set('content-type', 'application/json')
      .set('x-hub-signature-256', hubSignature256(SECRET, raw))
      .send(raw);
  const stored = async (wamids: string[]) => ({
    archived: Number(
      (
        await t.db.query(
          'SELECT count(*)::int AS n FROM inbound_events WHERE instance_id = $1 AND provider_event_id = ANY($2)',
          [instanceId, wamids],
        )
      )[0].n,
    ),
    messages: Number(
      (
        await t.db.query(
          'SELECT count(*)::int AS n FROM messages WHERE instance_id = $1 AND provider_message_id = ANY($2)',
          [instanceId, wamids],
        )
      )[0].n,
    ),
  });

  beforeAll(async () => {
    graph = await FakeGraphApi.start();
    graph.addPhoneNumber(PHONE, { token: TOKEN });
    t = await startTestApp({ GRAPH_API_BASE_URL: graph.baseUrl, GRAPH_API_VERSION: 'v23.0' });
    alice = await createTenant(t);
    const res = await alice
      .post('/api/instances')
      .send({
        provider: 'whatsapp-official',
        name: 'batch',
        config: {
          phoneNumberId: PHONE,
          accessToken: TOKEN,
          appSecret: SECRET,
          webhookVerifyToken: 'v-batch',
        },
      })
      .expect(201);
    instanceId = res.body.id;
  });

  afterAll(async () => {
    await t.close();
    await graph.stop();
  });

  it('stores every item of a request and counts a redelivery as duplicates', async () => {
    const ids = ['wamid.BATCH-1', 'wamid.BATCH-2', 'wamid.BATCH-3'];
    const raw = webhook(ids);
    expect((await post(raw).expect(200)).body).toEqual({ ok: true, stored: 3, duplicates: 0, skipped: 0 });
    expect(await stored(ids)).toEqual({ archived: 3, messages: 3 });
    expect((await post(raw).expect(200)).body).toEqual({ ok: true, stored: 0, duplicates: 3, skipped: 0 });
    expect(await stored(ids)).toEqual({ archived: 3, messages: 3 });
  });

  it('a failure on the second item stores neither; the retry stores both', async () => {
    const ids = ['wamid.ROLLBACK-1', 'wamid.ROLLBACK-2'];
    const raw = webhook(ids);
    // the database refuses the second message, after the first one's rows were written
    await t.db.query(`CREATE FUNCTION pipeline_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.provider_message_id = 'wamid.ROLLBACK-2' THEN RAISE EXCEPTION 'refused by test'; END IF;
        RETURN NEW;
      END $$`);
    await t.db.query(`CREATE TRIGGER pipeline_test_refuse BEFORE INSERT ON messages
      FOR EACH ROW EXECUTE FUNCTION pipeline_test_refuse()`);
    try {
      const res = await post(raw).expect(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 500, code: 'internal_error' });
      expect(await stored(ids)).toEqual({ archived: 0, messages: 0 });
    } finally {
      await t.db.query('DROP TRIGGER pipeline_test_refuse ON messages');
      await t.db.query('DROP FUNCTION pipeline_test_refuse()');
    }
    expect((await post(raw).expect(200)).body).toEqual({ ok: true, stored: 2, duplicates: 0, skipped: 0 });
    expect(await stored(ids)).toEqual({ archived: 2, messages: 2 });
  });
});
