import type { Browser, Page } from 'playwright-core';
import { ConnectionRuntime } from '../../src/modules/connections/connection-runtime.service';
import { fakeWhatsAppWeb as hub } from '../../src/modules/providers/whatsapp-web/fake.engine';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';
import {
  horizontalOverflow,
  launchChromium,
  newPage,
  PHONE,
  screenshot,
  seriousA11yViolations,
} from './browser';

jest.setTimeout(120_000);

/** createTenant's password (test/utils/test-app.ts). */
const TENANT_PASSWORD = 'password-123';
const ACCOUNT = { jid: '15550001111@s.whatsapp.net', name: 'Shop phone' };
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

type QrBody = {
  status: string;
  qrImage?: string;
  attempt?: number;
  expiresAt?: string;
  pairingCode?: string;
};

/**
 * Linking a WhatsApp Web instance (issue 12) in real headless Chromium against the real gateway on
 * the scripted fake engine (WHATSAPP_WEB_ENGINE=fake; the connection runtime starts a new
 * instance's socket within ~2 s): the QR as a PNG with a countdown and the pairing-code
 * alternative, a new QR replacing the shown one live, and "connected" after the scripted scan,
 * all without a page load. Screenshots and axe on every state; no console errors.
 */
describe('Linking WhatsApp Web in headless Chromium (browser, fake engine)', () => {
  let t: TestApp;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let operator: TestTenant;
  /** Every instance this spec created (parked before the app closes). */
  const created: string[] = [];

  beforeAll(async () => {
    hub.reset();
    t = await startTestApp({ WHATSAPP_WEB_ENGINE: 'fake', WHATSAPP_WEB_SEND_GAP_MS: '0' });
    operator = await createTenant(t);
    ({ browser, close: closeBrowser } = await launchChromium());
  });

  afterAll(async () => {
    await closeBrowser?.();
    if (t) {
      // park this spec's instances (the runtime stops their sockets) before the app closes
      if (created.length)
        await t.db.query(`UPDATE instances SET status = 'disconnected' WHERE id = ANY($1)`, [created]);
      const runtime = t.app.get(ConnectionRuntime);
      await eventually(
        async () => !created.some((id) => runtime.active.includes(id)),
        10_000,
        'WhatsApp Web connections to stop',
      );
    }
    hub.reset();
    await t?.close();
  });

  const login = { email: () => operator.email, password: TENANT_PASSWORD };

  async function logIn(page: Page): Promise<void> {
    await page.goto(`${t.baseUrl}/dashboard/`);
    await page.getByLabel('Email').fill(login.email());
    await page.getByLabel('Password').fill(login.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  }

  /** Client-side navigation (a real page load would log out: the token is in memory only). */
  async function go(page: Page, path: string): Promise<void> {
    await page.evaluate(
      `history.pushState(null, '', ${JSON.stringify(`/dashboard${path}`)}); dispatchEvent(new PopStateEvent('popstate'))`,
    );
  }

  async function inspect(page: Page, name: string): Promise<void> {
    await screenshot(page, name);
    expect(await seriousA11yViolations(page)).toEqual([]);
  }

  async function createByApi(name: string): Promise<string> {
    const res = await operator
      .post('/api/instances')
      .send({ provider: 'whatsapp-web', name, config: {} })
      .expect(201);
    created.push(res.body.id as string);
    return res.body.id as string;
  }

  const apiQr = async (id: string): Promise<QrBody> =>
    (await operator.get(`/api/instances/${id}/qr`).expect(200)).body as QrBody;

  const dbStatus = async (id: string): Promise<string> =>
    ((await t.db.query('SELECT status FROM instances WHERE id = $1', [id])) as { status: string }[])[0]
      .status;

  /** The shown QR: its data URL (a PNG) and which attempt it is. */
  async function shownQr(page: Page): Promise<{ src: string; attempt: string | null }> {
    const img = page.getByTestId('qr');
    await img.waitFor();
    expect(await img.isVisible()).toBe(true);
    const src = (await img.getAttribute('src'))!;
    expect(src).toMatch(/^data:image\/png;base64,/);
    const png = Buffer.from(src.slice('data:image/png;base64,'.length), 'base64');
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    // decoded and painted by the browser, not a broken image
    expect(
      await page.evaluate<number>(
        `(() => { const i = document.querySelector('[data-testid="qr"]'); return i.complete ? i.naturalWidth : 0 })()`,
      ),
    ).toBeGreaterThan(0);
    return { src, attempt: await img.getAttribute('data-attempt') };
  }

  const countdownSeconds = async (page: Page): Promise<number> =>
    Number(await page.getByRole('timer').getAttribute('data-seconds'));

  it('creates a WhatsApp Web instance through the form, shows its QR with a countdown and the pairing-code alternative, replaces the QR live, and switches to connected after the scan', async () => {
    const { context, page, problems } = await newPage(browser);
    await logIn(page);
    await page.getByRole('link', { name: 'Instances' }).click();
    await page.getByRole('link', { name: 'New instance' }).click();
    await page.getByLabel('Provider *').selectOption('whatsapp-web');
    await page.getByLabel('Name *').fill('Shop WhatsApp');
    await page.getByRole('button', { name: 'Create instance' }).click();
    // a webhook signing secret is generated with every instance and shown once
    await expect(page.getByTestId('secret-once').textContent()).resolves.toMatch(/^\s*whsec_/);
    await page.getByRole('button', { name: 'I have stored it' }).click();

    const listed = (await operator.get('/api/instances').expect(200)).body as {
      instances: { id: string; name: string; provider: string }[];
    };
    const mine = listed.instances.filter((i) => i.name === 'Shop WhatsApp');
    expect(mine).toEqual([expect.objectContaining({ provider: 'whatsapp-web' })]);
    const id = mine[0].id;
    created.push(id);

    // a provider that logs in by QR: straight to the new instance's link page
    await page.getByRole('heading', { name: 'Link WhatsApp', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/dashboard/instances/${id}/link`);
    // from here on, everything must happen in this document (no reload)
    await page.evaluate('window.sameDocument = true');

    // the QR, as a PNG: the current one of GET …/qr
    const first = await shownQr(page);
    const api1 = await apiQr(id);
    expect(api1).toMatchObject({ status: 'pending', attempt: 1 });
    expect(first).toEqual({ src: api1.qrImage, attempt: '1' });
    await page.getByTestId('status').getByText('waiting for qr').waitFor();
    expect(await page.getByRole('img', { name: 'WhatsApp QR code 1' }).isVisible()).toBe(true);

    // the countdown: toward the QR's expiresAt (the fake's 60 s), ticking down
    const left1 = await countdownSeconds(page);
    expect(left1).toBeGreaterThan(50);
    expect(left1).toBeLessThanOrEqual(60);
    await eventually(async () => (await countdownSeconds(page)) < left1, 5_000, 'the countdown to tick');
    await expect(page.getByTestId('qr-countdown').textContent()).resolves.toMatch(/^Expires in 0:[0-5]\d$/);

    // the pairing-code alternative, beside the QR
    await page.getByRole('heading', { name: 'Or link with the phone number' }).waitFor();
    expect(await page.getByLabel('Phone number (digits with country code)').isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Get a pairing code' }).isVisible()).toBe(true);
    await inspect(page, '23-whatsapp-web-qr');

    // WhatsApp sends the next QR: the image is replaced live, the countdown starts over
    const engine = await hub.engine(id);
    engine.emitQr();
    await page.locator('[data-testid="qr"][data-attempt="2"]').waitFor();
    const second = await shownQr(page);
    const api2 = await apiQr(id);
    expect(api2).toMatchObject({ status: 'pending', attempt: 2 });
    expect(second.src).toBe(api2.qrImage);
    expect(second.src).not.toBe(first.src);
    expect(await countdownSeconds(page)).toBeGreaterThanOrEqual(58);
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    await inspect(page, '24-whatsapp-web-new-qr');

    // the phone scans it: "connected" without a reload, the QR gone
    await engine.scan(ACCOUNT);
    await page.getByTestId('status').getByText('connected').waitFor();
    await page.getByRole('status').getByText('Linked.').waitFor();
    expect(await page.getByTestId('qr').count()).toBe(0);
    expect(await page.getByRole('timer').count()).toBe(0);
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    expect(await dbStatus(id)).toBe('connected');
    const detail = (await operator.get(`/api/instances/${id}`).expect(200)).body as {
      config: Record<string, unknown>;
    };
    expect(detail.config).toMatchObject({ login: 'qr', accountJid: ACCOUNT.jid, accountName: ACCOUNT.name });
    await inspect(page, '25-whatsapp-web-connected');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('links by pairing code from the same page, shows the problem detail for a bad number, and offers Reconnect once the QRs ran out', async () => {
    const id = await createByApi('Pairing WhatsApp');
    const { context, page, problems } = await newPage(browser);
    await logIn(page);
    await go(page, `/instances/${id}/link`);
    await shownQr(page);
    await page.evaluate('window.sameDocument = true');

    const phone = page.getByLabel('Phone number (digits with country code)');
    await phone.fill('12');
    await page.getByRole('button', { name: 'Get a pairing code' }).click();
    await page
      .getByRole('alert')
      .getByText(/phoneNumber must be digits with country code/)
      .first()
      .waitFor();
    // Chromium logs every 4xx response itself; this one is the expected answer to a bad number
    expect(problems.splice(0)).toEqual([expect.stringContaining('400 (Bad Request)')]);

    await phone.fill('+79001234567');
    await page.getByRole('button', { name: 'Get a pairing code' }).click();
    const shown = page.getByRole('status').filter({ hasText: 'Link with phone number instead' });
    await shown.waitFor();
    const code = (await shown.locator('strong').textContent())!;
    expect(code).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
    expect(await apiQr(id)).toEqual({ status: 'pairing_code', pairingCode: code });
    expect(await page.getByRole('alert').count()).toBe(0);
    await inspect(page, '26-whatsapp-web-pairing-code');

    // every QR ran out (Baileys' 408): the page offers Reconnect, which brings a new QR
    (await hub.engine(id)).expireQrs();
    await page.getByRole('button', { name: 'Reconnect' }).waitFor();
    await page.getByText(/Not waiting for a scan \(.*qr_expired/).waitFor();
    expect(await page.getByTestId('qr').count()).toBe(0);
    await page.getByRole('button', { name: 'Reconnect' }).click();
    await eventually(async () => (await apiQr(id)).status === 'pending', 10_000, 'a new QR');
    const again = await shownQr(page);
    expect(again.attempt).toBe('1');
    expect(again.src).toBe((await apiQr(id)).qrImage);

    await (await hub.engine(id)).scan(ACCOUNT);
    await page.getByRole('status').getByText('Linked.').waitFor();
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('the instance page and the instance list turn to "waiting for qr" live on qr_received, and the instance page offers "Link this phone"', async () => {
    // no QR until the test asks for one: the instances stay "connecting" while the pages load
    hub.qrDelayMs = 600_000;
    try {
      const first = await createByApi('Live status WhatsApp 1');
      const second = await createByApi('Live status WhatsApp 2');
      const engine1 = await hub.engine(first);
      const engine2 = await hub.engine(second);
      expect(await dbStatus(first)).toBe('connecting');
      expect(await dbStatus(second)).toBe('connecting');

      const { context, page, problems } = await newPage(browser);
      await logIn(page);
      await go(page, `/instances/${first}`);
      await page.getByRole('heading', { name: 'Live status WhatsApp 1', level: 1 }).waitFor();
      await page.getByTestId('status').getByText('connecting').waitFor();
      expect(await page.getByRole('link', { name: 'Link this phone' }).count()).toBe(0);
      await page.evaluate('window.sameDocument = true');

      // WhatsApp sends the first QR: the status and the call to link change without a reload
      engine1.emitQr();
      await page.getByTestId('status').getByText('waiting for qr').waitFor();
      await page.getByRole('heading', { name: 'This phone is not linked yet' }).waitFor();
      expect(await dbStatus(first)).toBe('waiting_for_qr');
      expect(await page.evaluate('window.sameDocument')).toBe(true);
      await inspect(page, '28-whatsapp-web-instance-waiting');

      await page.getByRole('link', { name: 'Instances', exact: true }).click();
      const row1 = page.locator(`tr[data-instance="${first}"]`);
      const row2 = page.locator(`tr[data-instance="${second}"]`);
      await row1.getByTestId('status').getByText('waiting for qr').waitFor();
      await row2.getByTestId('status').getByText('connecting').waitFor();
      engine2.emitQr();
      await row2.getByTestId('status').getByText('waiting for qr').waitFor();
      expect(await dbStatus(second)).toBe('waiting_for_qr');
      expect(await page.evaluate('window.sameDocument')).toBe(true);

      // and the call to action leads to the QR
      await row1.getByRole('link').click();
      await page.getByRole('link', { name: 'Link this phone' }).click();
      await page.getByRole('heading', { name: 'Link WhatsApp', level: 1 }).waitFor();
      expect((await shownQr(page)).src).toBe((await apiQr(first)).qrImage);
      expect(problems).toEqual([]);
      await context.close();
    } finally {
      hub.qrDelayMs = 0;
    }
  });

  it('works at 390 px wide: the whole QR on screen, no sideways scrolling', async () => {
    const id = await createByApi('Phone WhatsApp');
    const { context, page, problems } = await newPage(browser, PHONE);
    await logIn(page);
    await go(page, `/instances/${id}/link`);
    await shownQr(page);
    await page.getByRole('timer').waitFor();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    const box = (await page.getByTestId('qr').boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    expect(box.width).toBeGreaterThanOrEqual(250); // still scannable
    await inspect(page, '27-whatsapp-web-qr-phone');
    expect(problems).toEqual([]);
    await context.close();
  });
});
