import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { ConnectionRuntime } from '../../src/modules/connections/connection-runtime.service';
import { dashboardDir } from '../../src/modules/dashboard/dashboard.module';
import { fakeWhatsAppWeb as hub } from '../../src/modules/providers/whatsapp-web/fake.engine';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';
import { launchChromium, newPage, PHONE, screenshot, seriousA11yViolations, sidewaysScroll } from './browser';

jest.setTimeout(120_000);

const BOT = '5550101:PHONE_test-token';
const CUSTOMER = 515151;
/** createTenant's password (test/utils/test-app.ts). */
const TENANT_PASSWORD = 'password-123';

/**
 * Every dashboard page at 390×844 (a phone) in real headless Chromium against the real gateway
 * with the fake Telegram Bot API, a webhook receiver and the fake WhatsApp Web engine: no sideways
 * scrolling (`document.scrollingElement.scrollWidth <= clientWidth + 1`), no serious or critical
 * axe-core violation, no console error, one screenshot per page.
 */
describe('Every dashboard page at 390 px wide (browser)', () => {
  let t: TestApp;
  let tg: FakeTelegramApi;
  let receiver: WebhookReceiver;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let operator: TestTenant;
  let telegramId: string;
  let whatsappId: string;

  beforeAll(async () => {
    if (!existsSync(join(dashboardDir(), 'index.html')))
      throw new Error(`${dashboardDir()}/index.html missing: run npm run build before the browser tests`);
    hub.reset();
    tg = await FakeTelegramApi.start();
    tg.addBot(BOT, { username: 'phone_demo_bot', first_name: 'Phone shop' });
    receiver = await WebhookReceiver.start();
    t = await startTestApp({
      TELEGRAM_API_ROOT: tg.apiRoot,
      PUBLIC_BASE_URL: undefined,
      WHATSAPP_WEB_ENGINE: 'fake',
      WHATSAPP_WEB_SEND_GAP_MS: '0',
    });
    operator = await createTenant(t);
    ({ browser, close: closeBrowser } = await launchChromium());
  });

  afterAll(async () => {
    await closeBrowser?.();
    if (t && whatsappId) {
      // park the WhatsApp Web instance (the runtime stops its socket) before the app closes
      await t.db.query(`UPDATE instances SET status = 'disconnected' WHERE id = $1`, [whatsappId]);
      const runtime = t.app.get(ConnectionRuntime);
      await eventually(async () => !runtime.active.includes(whatsappId), 10_000, 'the socket to stop');
    }
    hub.reset();
    await t?.close();
    await tg?.stop();
    await receiver?.stop();
  });

  /** Client-side navigation (a real page load would log out: the token is in memory only). */
  async function go(page: Page, path: string): Promise<void> {
    await page.evaluate(
      `history.pushState(null, '', ${JSON.stringify(`/dashboard${path}`)}); dispatchEvent(new PopStateEvent('popstate'))`,
    );
  }

  /** Per page: how far it scrolls sideways (px, above the 1 px of rounding) and its serious axe violations. */
  const overflows: string[] = [];
  const violations: string[] = [];

  /** Waits for `ready`, then measures sideways scrolling, saves a screenshot and runs axe. */
  async function check(page: Page, name: string, ready: Locator): Promise<void> {
    await ready.first().waitFor();
    const overflow = await sidewaysScroll(page);
    if (overflow > 1) overflows.push(`${name}: ${overflow}px`);
    await screenshot(page, name);
    violations.push(...(await seriousA11yViolations(page)).map((v) => `${name}: ${v}`));
  }

  it('login, overview, instances, new instance, instance, link, inbox, conversation, deliveries, delivery and activity fit 390×844', async () => {
    // data for every page: a Telegram instance with a webhook, a customer's message and its
    // delivery; a WhatsApp Web instance waiting for its QR scan
    telegramId = (
      await operator
        .post('/api/instances')
        .send({
          provider: 'telegram',
          name: 'Phone shop bot',
          config: { botToken: BOT },
          webhookUrl: receiver.url(),
        })
        .expect(201)
    ).body.id as string;
    whatsappId = (
      await operator
        .post('/api/instances')
        .send({ provider: 'whatsapp-web', name: 'Phone shop WhatsApp', config: {} })
        .expect(201)
    ).body.id as string;
    await tg.simulateInbound({
      text: 'Do you deliver to the harbour district on Saturdays?',
      chatId: CUSTOMER,
      firstName: 'Bea',
    });
    const [delivery] = await eventually(
      async () => {
        const rows: { id: string }[] = await t.db.query(
          `SELECT d.id FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
            WHERE d.instance_id = $1 AND e.type = 'message_received' AND d.status = 'succeeded'`,
          [telegramId],
        );
        return rows.length ? rows : null;
      },
      15_000,
      'the message_received delivery',
    );
    await eventually(
      async () => (await operator.get(`/api/instances/${whatsappId}/qr`)).body?.status === 'pending',
      10_000,
      'the first WhatsApp QR',
    );

    const { context, page, problems } = await newPage(browser, PHONE);
    expect(page.viewportSize()).toEqual({ width: 390, height: 844 });
    await page.goto(`${t.baseUrl}/dashboard/`);
    await check(page, '30-phone-login', page.getByRole('button', { name: 'Log in' }));

    await page.getByLabel('Email').fill(operator.email);
    await page.getByLabel('Password').fill(TENANT_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await check(page, '31-phone-overview', page.locator('canvas[role="img"]'));

    await page.getByRole('link', { name: 'Instances' }).click();
    await check(page, '32-phone-instances', page.getByRole('link', { name: 'Phone shop WhatsApp' }));

    await page.getByRole('link', { name: 'New instance' }).click();
    await check(page, '33-phone-create-instance', page.getByRole('button', { name: 'Create instance' }));

    await go(page, `/instances/${telegramId}`);
    await check(page, '34-phone-instance', page.getByRole('heading', { name: 'Capabilities' }));

    await go(page, `/instances/${whatsappId}`);
    await check(page, '35-phone-instance-whatsapp', page.getByRole('link', { name: 'Link this phone' }));

    await page.getByRole('link', { name: 'Link this phone' }).click();
    await check(page, '36-phone-link', page.getByTestId('qr'));

    await page.getByRole('link', { name: 'Inbox' }).click();
    const chat = page.locator('.chat-item').filter({ hasText: 'harbour district' });
    await check(page, '37-phone-inbox', chat);

    await chat.click();
    await check(page, '38-phone-conversation', page.getByLabel('Reply'));

    await go(page, `/deliveries?instance=${telegramId}`);
    await check(page, '39-phone-deliveries', page.locator(`tr[data-delivery="${delivery.id}"]`));

    await page.locator(`tr[data-delivery="${delivery.id}"]`).getByRole('link').click();
    await check(page, '40-phone-delivery', page.locator('[data-attempt="1"]'));

    await go(page, `/instances/${telegramId}/activity`);
    await check(page, '41-phone-activity', page.getByRole('cell', { name: 'created' }));

    expect(overflows).toEqual([]);
    expect(violations).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
