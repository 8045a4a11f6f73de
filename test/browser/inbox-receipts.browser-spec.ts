import type { Browser } from 'playwright-core';
import { FakeGraphApi } from '../fakes/fake-graph-api';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';
import { launchChromium, newPage, screenshot, seriousA11yViolations } from './browser';

jest.setTimeout(120_000);

// unique in the run's database, which the e2e specs share (phone_number_id is unique)
const PHONE = '109000000012012';
const TOKEN = 'EAAGm0PX4ZCpsBAKdashboard';
const APP_SECRET = 'd4e5f60718293a4b5c6d7e8f90a1b2c3';
const CUSTOMER = '16505551234';

/** A Cloud API `messages` webhook value for our number (PROVIDERS.md §2). */
const webhook = (value: Record<string, unknown>) => ({
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
            ...value,
          },
        },
      ],
    },
  ],
});

/**
 * The inbox with a provider that reports receipts and takes uploads (WhatsApp Cloud on the fake
 * Graph API): the ticks of a reply follow `message_status` live, and a file goes through the bot
 * by upload. Webhooks reach the gateway signed like Meta's.
 */
describe('Inbox receipts and uploads with WhatsApp Cloud (browser)', () => {
  let t: TestApp;
  let graph: FakeGraphApi;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let operator: TestTenant;

  const push = async (value: Record<string, unknown>) => {
    const res = await graph.pushWebhook(`${t.baseUrl}/webhooks/whatsapp`, webhook(value), APP_SECRET);
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    graph = await FakeGraphApi.start();
    graph.addPhoneNumber(PHONE, {
      token: TOKEN,
      displayPhoneNumber: '+1 555-078-3881',
      verifiedName: 'Acme Support',
    });
    t = await startTestApp({ GRAPH_API_BASE_URL: graph.baseUrl, GRAPH_API_VERSION: 'v23.0' });
    operator = await createTenant(t);
    await operator
      .post('/api/instances')
      .send({
        provider: 'whatsapp-official',
        name: 'Acme WhatsApp',
        config: {
          phoneNumberId: PHONE,
          accessToken: TOKEN,
          appSecret: APP_SECRET,
          webhookVerifyToken: 'verify-acme',
        },
      })
      .expect(201);
    ({ browser, close: closeBrowser } = await launchChromium());
  });

  afterAll(async () => {
    await closeBrowser?.();
    await t?.close();
    await graph?.stop();
  });

  it('reply ticks follow message_status live (sent → delivered → read); a file is uploaded and sent', async () => {
    await push({
      contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: CUSTOMER }],
      messages: [
        {
          from: CUSTOMER,
          id: 'wamid.IN-dashboard-1',
          timestamp: '1749416383',
          type: 'text',
          text: { body: 'Invoice please' },
        },
      ],
    });

    const { context, page, problems } = await newPage(browser);
    await page.goto(`${t.baseUrl}/dashboard/`);
    await page.getByLabel('Email').fill(operator.email);
    await page.getByLabel('Password').fill('password-123');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('link', { name: 'Inbox' }).click();
    await page.locator('.chat-item').filter({ hasText: 'Sheena Nelson' }).click();
    await page.locator('.conversation').getByText('Invoice please').waitFor();
    await page.getByTestId('composer-hint').getByText('Sent as Acme Support').waitFor();

    await page.getByLabel('Reply').fill('Coming right up');
    await page.getByLabel('Reply').press('Enter');
    const reply = page.locator('.message.out').filter({ hasText: 'Coming right up' });
    await reply.locator('.tick[data-status="sent"]').waitFor();
    const sent = graph.callsTo(new RegExp(`^/${PHONE}/messages$`), 'POST').at(-1)!;
    expect(sent.body).toMatchObject({ to: CUSTOMER, type: 'text', text: { body: 'Coming right up' } });
    const [row] = await t.db.query(`SELECT provider_message_id FROM messages WHERE text = 'Coming right up'`);
    const wamid: string = row.provider_message_id;

    const status = (s: string) => ({
      statuses: [{ id: wamid, status: s, timestamp: '1749416400', recipient_id: CUSTOMER }],
    });
    await push(status('delivered'));
    await reply.locator('.tick[data-status="delivered"]').waitFor();
    await push(status('read'));
    await reply.locator('.tick[data-status="read"]').waitFor();
    await screenshot(page, '21-whatsapp-read-ticks');

    await page.getByText('Attach a file').click();
    await page.getByRole('combobox', { name: /^Type/ }).selectOption('document');
    await page.getByLabel('File', { exact: true }).setInputFiles({
      name: 'invoice-1042.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4 invoice 1042'),
    });
    await page.getByLabel('Reply').fill('Invoice 1042');
    await page.getByRole('button', { name: 'Send' }).click();
    const upload = await eventually(
      async () => graph.callsTo(new RegExp(`^/${PHONE}/media$`), 'POST').at(-1),
      10_000,
      'the media upload at the fake Graph API',
    );
    expect(upload.body).toMatchObject({ messaging_product: 'whatsapp' });
    expect(JSON.stringify(upload.body)).toContain('invoice-1042.pdf');
    const doc = await eventually(
      async () =>
        graph.callsTo(new RegExp(`^/${PHONE}/messages$`), 'POST').find((c) => c.body?.type === 'document'),
      10_000,
      'the document send at the fake Graph API',
    );
    expect(doc.body).toMatchObject({ to: CUSTOMER, type: 'document', document: { id: expect.any(String) } });
    await page
      .locator('.message.out')
      .filter({ hasText: 'Invoice 1042' })
      .locator('.tick[data-status="sent"]')
      .waitFor();
    expect(await page.getByLabel('File', { exact: true }).inputValue()).toBe('');
    await screenshot(page, '22-whatsapp-file-sent');
    expect(await seriousA11yViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
