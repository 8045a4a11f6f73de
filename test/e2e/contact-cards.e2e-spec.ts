import { vCardToContactCard } from '../../src/modules/providers/vcard';
import { FakeGraphApi } from '../fakes/fake-graph-api';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { RecordedRequest, WebhookReceiver } from '../fakes/webhook-receiver';
import { freePort } from '../utils/free-port';
import { createTenant, startTestApp, TestApp, TestTenant } from '../utils/test-app';

/** Ids no other e2e file uses: one jest run shares one database across files. */
const PHONE = '199900000000901';
const WA_TOKEN = 'EAAGm0PX4ZCpsBAKcontacts';
const APP_SECRET = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const PAGE = '199900000000902';
const PAGE_TOKEN = 'EAAGm0PX4ZCpsBAKpage';
const BOT = '880904210:HHHdqTcvCH1vGWJxfSeofSAs0K5PALDcard';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

type Row = Record<string, unknown>;
interface EventBody {
  event: string;
  instanceId: string;
  data: { messageId: string; contacts: unknown };
}

/**
 * Issue 9 item 4: contact cards keep everything. The card is written twice below, in the
 * gateway's names (what the API takes) and in the Cloud API's names (what Meta documents,
 * messages/contacts-messages), in the order the mapper writes; the fake Graph API must receive
 * the second byte for byte. Telegram gets sendContact with the rest as a vCard; inbound WhatsApp
 * `contacts` and Telegram `contact` + `vcard` are stored and delivered with every field.
 */
describe('Contact cards (e2e)', () => {
  let t: TestApp;
  let graph: FakeGraphApi;
  let tg: FakeTelegramApi;
  let receiver: WebhookReceiver;
  let alice: TestTenant;
  let waId: string;
  let tgId: string;
  let fbId: string;

  const rows = (sql: string, params: unknown[] = []): Promise<Row[]> => t.db.query(sql, params);
  const send = (id: string, body: Row) => alice.post(`/api/instances/${id}/messages`).send(body);
  const hook = async (event: string, messageId: string): Promise<RecordedRequest> =>
    receiver.waitFor((r) => {
      const j = r.json as EventBody | undefined;
      return j?.event === event && j.data?.messageId === messageId;
    });

  /** The card in the gateway's names: two phones (type, waId), two emails, org and url. */
  const card = {
    name: 'Ann Lee',
    firstName: 'Ann',
    lastName: 'Lee',
    phones: [
      { phone: '+1 650-555-0101', type: 'CELL', waId: '16505550101' },
      { phone: '+1 650-555-0102', type: 'WORK', waId: '16505550102' },
    ],
    emails: [
      { email: 'ann@acme.example', type: 'WORK' },
      { email: 'ann.lee@home.example', type: 'HOME' },
    ],
    org: { company: 'Acme', department: 'Sales', title: 'Head of Sales' },
    urls: [{ url: 'https://acme.example/ann', type: 'WORK' }],
  };
  /** The same card in the Cloud API's names. */
  const cloudApiCard = {
    name: { formatted_name: 'Ann Lee', first_name: 'Ann', last_name: 'Lee' },
    phones: [
      { phone: '+1 650-555-0101', type: 'CELL', wa_id: '16505550101' },
      { phone: '+1 650-555-0102', type: 'WORK', wa_id: '16505550102' },
    ],
    emails: [
      { email: 'ann@acme.example', type: 'WORK' },
      { email: 'ann.lee@home.example', type: 'HOME' },
    ],
    org: { company: 'Acme', department: 'Sales', title: 'Head of Sales' },
    urls: [{ url: 'https://acme.example/ann', type: 'WORK' }],
  };

  beforeAll(async () => {
    graph = await FakeGraphApi.start();
    graph.addPhoneNumber(PHONE, { token: WA_TOKEN });
    graph.addPage(PAGE, { token: PAGE_TOKEN, name: 'Acme Support' });
    tg = await FakeTelegramApi.start();
    tg.addBot(BOT, { username: 'cards_bot' });
    receiver = await WebhookReceiver.start();
    const port = await freePort();
    t = await startTestApp(
      {
        GRAPH_API_BASE_URL: graph.baseUrl,
        GRAPH_API_VERSION: 'v23.0',
        TELEGRAM_API_ROOT: tg.apiRoot,
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      },
      port,
    );
    alice = await createTenant(t);
    const common = { webhookUrl: receiver.url('/hook'), webhookSecret: SECRET, retryInterval: 100 };
    waId = (
      await alice
        .post('/api/instances')
        .send({
          provider: 'whatsapp-official',
          name: 'wa',
          config: {
            phoneNumberId: PHONE,
            accessToken: WA_TOKEN,
            appSecret: APP_SECRET,
            webhookVerifyToken: 'verify-cards',
          },
          ...common,
        })
        .expect(201)
    ).body.id;
    tgId = (
      await alice
        .post('/api/instances')
        .send({ provider: 'telegram', name: 'tg', config: { botToken: BOT }, ...common })
        .expect(201)
    ).body.id;
    fbId = (
      await alice
        .post('/api/instances')
        .send({
          provider: 'facebook-messenger',
          name: 'fb',
          config: {
            pageId: PAGE,
            pageAccessToken: PAGE_TOKEN,
            appSecret: APP_SECRET,
            webhookVerifyToken: 'verify-cards-fb',
          },
          ...common,
        })
        .expect(201)
    ).body.id;
  });

  afterAll(async () => {
    await t.close();
    await graph.stop();
    await tg.stop();
    await receiver.stop();
  });

  describe('WhatsApp', () => {
    it('sends the card as its contacts object, byte for byte, and stores and announces it whole', async () => {
      const res = await send(waId, { to: '16505551234', type: 'contacts', contacts: [card] }).expect(201);
      const call = graph.lastCall(new RegExp(`^/${PHONE}/messages$`), 'POST')!;
      expect(call.rawBody).toContain(`"contacts":${JSON.stringify([cloudApiCard])}`);
      expect(call.body).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '16505551234',
        type: 'contacts',
        contacts: [cloudApiCard],
      });

      const stored = { ...card, phone: '+1 650-555-0101' };
      expect(res.body).toMatchObject({ status: 'sent', type: 'contacts', contacts: [stored] });
      const [row] = await rows('SELECT contacts, status FROM messages WHERE id = $1', [res.body.id]);
      expect(row).toEqual({ contacts: [stored], status: 'sent' });
      const sent = (await hook('message_sent', res.body.id)).json as EventBody;
      expect(sent.data.contacts).toEqual([stored]);
    });

    it('keeps the flat {name, phone} form working', async () => {
      await send(waId, {
        to: '16505551234',
        type: 'contacts',
        contacts: [{ name: 'Support Desk', phone: '+16505550000' }],
      }).expect(201);
      expect(graph.lastCall(new RegExp(`^/${PHONE}/messages$`), 'POST')!.body!.contacts).toEqual([
        {
          name: { formatted_name: 'Support Desk', first_name: 'Support Desk' },
          phones: [{ phone: '+16505550000', type: 'CELL' }],
        },
      ]);
    });

    it('refuses a bad card with 400 naming the field, and sends and stores nothing', async () => {
      const calls = graph.calls.length;
      const [{ n: before }] = await rows('SELECT count(*)::int AS n FROM messages');
      const bad = {
        ...card,
        phones: [card.phones[0], { phone: '+1 650-555-0102', type: 7 }],
        emails: [{ email: 'not-an-address' }],
        birthday: '1990-13-40',
      };
      const res = await send(waId, { to: '16505551234', type: 'contacts', contacts: [bad] }).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('validation_failed');
      const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
      expect(fields).toEqual(
        expect.arrayContaining([
          'contacts.0.phones.1.type',
          'contacts.0.emails.0.email',
          'contacts.0.birthday',
        ]),
      );
      const noPhone = await send(waId, { to: '16505551234', type: 'contacts', contacts: [{ name: 'x' }] });
      expect(noPhone.status).toBe(400);
      const noPhoneErrors = noPhone.body.errors as { field: string; message: string }[];
      expect(new Set(noPhoneErrors.map((e) => e.field))).toEqual(new Set(['contacts.0.phone']));
      expect(noPhoneErrors.map((e) => e.message)).toContain('phone is required unless phones is given');
      expect(graph.calls.length).toBe(calls);
      expect((await rows('SELECT count(*)::int AS n FROM messages'))[0].n).toBe(before);
    });

    it('stores and delivers an inbound contacts card with every field', async () => {
      const inbound = {
        ...cloudApiCard,
        name: { ...cloudApiCard.name, middle_name: 'Q.', prefix: 'Dr.', suffix: 'Jr.' },
        addresses: [
          {
            street: '1 Hacker Way',
            city: 'Menlo Park',
            state: 'CA',
            zip: '94025',
            country: 'United States',
            country_code: 'US',
            type: 'WORK',
          },
        ],
        birthday: '1990-01-02',
      };
      const wamid = 'wamid.CONTACTS-INBOUND-1';
      const res = await graph.pushWebhook(
        `${t.baseUrl}/webhooks/whatsapp/${waId}`,
        {
          object: 'whatsapp_business_account',
          entry: [
            {
              id: '102290129340398',
              changes: [
                {
                  field: 'messages',
                  value: {
                    messaging_product: 'whatsapp',
                    metadata: { display_phone_number: '15550783881', phone_number_id: PHONE },
                    contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
                    messages: [
                      {
                        from: '16505551234',
                        id: wamid,
                        timestamp: '1749416400',
                        type: 'contacts',
                        contacts: [inbound],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
        APP_SECRET,
      );
      expect(res.status).toBe(200);
      const expected = {
        ...card,
        middleName: 'Q.',
        prefix: 'Dr.',
        suffix: 'Jr.',
        phone: '+1 650-555-0101',
        addresses: [
          {
            street: '1 Hacker Way',
            city: 'Menlo Park',
            state: 'CA',
            zip: '94025',
            country: 'United States',
            countryCode: 'US',
            type: 'WORK',
          },
        ],
        birthday: '1990-01-02',
        providerContactId: '16505550101',
      };
      const [row] = await rows(
        `SELECT id, type, direction, contacts FROM messages WHERE instance_id = $1 AND provider_message_id = $2`,
        [waId, wamid],
      );
      expect(row).toMatchObject({ type: 'contacts', direction: 'in', contacts: [expected] });
      const delivered = await hook('message_received', row.id as string);
      expect(WebhookReceiver.verifyStandardWebhooks(delivered, SECRET)).toMatchObject({
        event: 'message_received',
        data: { type: 'contacts', contacts: [expected] },
      });
      const view = await alice.get(`/api/instances/${waId}/messages/${row.id as string}`).expect(200);
      expect(view.body.contacts).toEqual([expected]);
    });
  });

  describe('Telegram', () => {
    it('sends sendContact with phone_number, first_name, last_name and the rest as a vCard', async () => {
      const res = await send(tgId, { to: '424242', type: 'contacts', contacts: [card] }).expect(201);
      const call = tg.lastCall('sendContact')!;
      expect(call.params).toMatchObject({
        chat_id: 424242,
        phone_number: '+1 650-555-0101',
        first_name: 'Ann',
        last_name: 'Lee',
      });
      const vcard = String(call.params.vcard);
      expect(vcard).toBe(
        [
          'BEGIN:VCARD',
          'VERSION:3.0',
          'N:Lee;Ann;;;',
          'FN:Ann Lee',
          'ORG:Acme;Sales',
          'TITLE:Head of Sales',
          'TEL;TYPE=CELL;WAID=16505550101:+1 650-555-0101',
          'TEL;TYPE=WORK;WAID=16505550102:+1 650-555-0102',
          'EMAIL;TYPE=WORK:ann@acme.example',
          'EMAIL;TYPE=HOME:ann.lee@home.example',
          'URL;TYPE=WORK:https://acme.example/ann',
          'END:VCARD',
          '',
        ].join('\r\n'),
      );
      expect(vCardToContactCard(vcard)).toEqual(card);
      const [row] = await rows('SELECT contacts, status FROM messages WHERE id = $1', [res.body.id]);
      expect(row).toEqual({ contacts: [{ ...card, phone: '+1 650-555-0101' }], status: 'sent' });
    });

    it('stores an inbound contact with a vCard with all its fields and delivers them', async () => {
      const vcard = [
        'BEGIN:VCARD',
        'VERSION:3.0',
        'N:Petrov;Ivan;Ivanovich;Dr.;',
        'FN:Dr. Ivan Ivanovich Petrov',
        'ORG:Roga i Kopyta;Logistics',
        'TITLE:Dispatcher',
        'item1.TEL;waid=79001234567:+7 900 123-45-67',
        'item1.X-ABLabel:Mobile',
        'TEL;TYPE=WORK,VOICE:+7 495 000-00-00',
        'EMAIL;TYPE=INTERNET,WORK:ivan@roga.example',
        'EMAIL;TYPE=INTERNET,HOME:ivan@home.example',
        'URL:https://roga.example',
        'ADR;TYPE=WORK:;;Tverskaya 1;Moscow;;125009;Russia',
        'BDAY:1985-03-04',
        'END:VCARD',
      ].join('\n');
      const update = {
        update_id: 900001,
        message: {
          message_id: 77,
          from: { id: 5001, is_bot: false, first_name: 'Olga' },
          chat: { id: 5001, first_name: 'Olga', type: 'private' },
          date: 1765000000,
          contact: {
            phone_number: '79001234567',
            first_name: 'Ivan',
            last_name: 'Petrov',
            user_id: 6002,
            vcard,
          },
        },
      };
      const res = await tg.sendWebhookUpdate(BOT, update);
      expect(res.status).toBe(200);
      const body = JSON.parse(res.body) as { stored: boolean; messageId: string };
      expect(body.stored).toBe(true);
      const expected = {
        name: 'Ivan Petrov',
        firstName: 'Ivan',
        lastName: 'Petrov',
        middleName: 'Ivanovich',
        prefix: 'Dr.',
        phone: '79001234567',
        phones: [
          { phone: '+7 900 123-45-67', type: 'Mobile', waId: '79001234567' },
          { phone: '+7 495 000-00-00', type: 'WORK' },
        ],
        emails: [
          { email: 'ivan@roga.example', type: 'WORK' },
          { email: 'ivan@home.example', type: 'HOME' },
        ],
        org: { company: 'Roga i Kopyta', department: 'Logistics', title: 'Dispatcher' },
        urls: [{ url: 'https://roga.example' }],
        addresses: [
          { street: 'Tverskaya 1', city: 'Moscow', zip: '125009', country: 'Russia', type: 'WORK' },
        ],
        birthday: '1985-03-04',
        vcard,
        providerContactId: '6002',
      };
      const [row] = await rows(
        'SELECT type, direction, contacts, provider_message_id FROM messages WHERE id = $1',
        [body.messageId],
      );
      expect(row).toEqual({
        type: 'contacts',
        direction: 'in',
        contacts: [expected],
        provider_message_id: '5001:77',
      });
      const delivered = await hook('message_received', body.messageId);
      expect(WebhookReceiver.verifyStandardWebhooks(delivered, SECRET)).toMatchObject({
        event: 'message_received',
        provider: 'telegram',
        data: { type: 'contacts', contacts: [expected] },
      });
    });

    it('refuses a card whose vCard would pass Telegram’s 2048 bytes (422 naming telegram)', async () => {
      const calls = tg.calls('sendContact').length;
      const res = await send(tgId, {
        to: '424242',
        type: 'contacts',
        contacts: [
          {
            ...card,
            urls: Array.from({ length: 20 }, (_, i) => ({
              url: `https://acme.example/${i}/${'x'.repeat(80)}`,
            })),
          },
        ],
      }).expect(422);
      expect(res.body).toMatchObject({
        code: 'vcard_too_long',
        provider: 'telegram',
        errors: [{ field: 'contacts.0' }],
      });
      expect(tg.calls('sendContact').length).toBe(calls);
    });
  });

  it('a provider without contact cards answers 422 naming the provider and sends nothing', async () => {
    const calls = graph.calls.length;
    const res = await send(fbId, { to: '2400000000000001', type: 'contacts', contacts: [card] }).expect(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'unsupported_message_type', provider: 'facebook-messenger' });
    expect(res.body.detail).toContain('facebook-messenger');
    expect(graph.calls.length).toBe(calls);
  });
});
