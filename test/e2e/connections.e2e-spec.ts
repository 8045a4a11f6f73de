import Redis from 'ioredis';
import { ConnectionRuntime } from '../../src/modules/connections/connection-runtime.service';
import { ConnectionStatusService } from '../../src/modules/connections/connection-status.service';
import { connectionLeaseName } from '../../src/modules/connections/connection-supervisor';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { RecordedRequest, WebhookReceiver } from '../fakes/webhook-receiver';
import { createTenant, eventually, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const BOT = '440506876:KKHdqTcvCH1vGWJxfSeofSAs0K5PALDconn';
const SECRET = 'connections-webhook-secret';
const PREFIX = `${process.env.REDIS_PREFIX}-connections`;

interface Envelope {
  event: string;
  instanceId: string;
  provider: string;
  data: Record<string, unknown>;
}
const envelope = (r: RecordedRequest) => r.json as Envelope;

/**
 * The connection runtime in the real app, on Telegram polling against the fake Bot API: what a
 * connection reports becomes the instance status, `connected` / `disconnected` / `qr_received`
 * events (signed webhooks), activity lines and `switchboard_connections{provider,state}`.
 */
describe('connection runtime (e2e)', () => {
  let t: TestApp;
  let tg: FakeTelegramApi;
  let receiver: WebhookReceiver;
  let redis: Redis;
  let runtime: ConnectionRuntime;
  let alice: TestTenant;
  let instanceId: string;

  const status = async () =>
    (await alice.get(`/api/instances/${instanceId}/status`).expect(200)).body as {
      status: string;
      reason: string | null;
      ready: boolean;
    };
  const events = (type: string) =>
    t.db.query('SELECT payload FROM events WHERE instance_id = $1 AND type = $2 ORDER BY sequence', [
      instanceId,
      type,
    ]) as Promise<{ payload: Record<string, unknown> }[]>;
  const hooks = (event: string) =>
    receiver.requests.filter((r) => envelope(r)?.event === event && envelope(r).instanceId === instanceId);
  const gauge = async (state: string): Promise<number> => {
    const text = (await t.http().get('/metrics').expect(200)).text;
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`switchboard_connections{provider="telegram",state="${state}"}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const polls = () => tg.calls('getUpdates').filter((c) => c.token === BOT).length;

  beforeAll(async () => {
    tg = await FakeTelegramApi.start();
    tg.addBot(BOT, { username: 'conn_bot' });
    receiver = await WebhookReceiver.start();
    redis = new Redis(process.env.REDIS_URL!);
    t = await startTestApp({
      TELEGRAM_API_ROOT: tg.apiRoot,
      PUBLIC_BASE_URL: undefined,
      REDIS_PREFIX: PREFIX,
      CONNECTION_RECONNECT_BASE_MS: '50',
      CONNECTION_RECONNECT_MAX_MS: '200',
    });
    runtime = t.app.get(ConnectionRuntime);
    alice = await createTenant(t);
    const res = await alice
      .post('/api/instances')
      .send({
        provider: 'telegram',
        name: 'runtime',
        config: { botToken: BOT },
        webhookUrl: receiver.url(),
        webhookSecret: SECRET,
        retryInterval: 100,
      })
      .expect(201);
    instanceId = res.body.id;
    await eventually(async () => runtime.active.includes(instanceId), 10_000, 'the bot to be polled');
  });

  afterAll(async () => {
    await alice.del(`/api/instances/${instanceId}`);
    await t.close();
    await Promise.all([tg.stop(), receiver.stop(), redis.quit()]);
  });

  it('runs the bot under its lease, once: one connected event, the gauge shows it connected', async () => {
    const token = await redis.get(`${PREFIX}:lease:${connectionLeaseName(instanceId)}`);
    expect(token).toMatch(/#\d+$/);
    await eventually(async () => (await gauge('connected')) === 1, 5_000, 'the gauge to show connected');
    // the instance was connected by its creation; the runtime's `connected` report changes nothing
    expect(await events('connected')).toEqual([{ payload: { instanceId, mode: 'polling' } }]);
    expect(await status()).toMatchObject({ status: 'connected', reason: null });
  });

  it('a failed getUpdates: disconnected {willReconnect: true}, reconnect with backoff, connected again', async () => {
    receiver.reset();
    tg.failNext('getUpdates', { error_code: 500, description: 'Internal Server Error' });
    const down = await receiver.waitFor((r) => hooks('disconnected').includes(r), 10_000);
    expect(WebhookReceiver.verifySeedsSignature(down, SECRET)).toBe(true);
    expect(envelope(down)).toMatchObject({
      event: 'disconnected',
      provider: 'telegram',
      data: {
        instanceId,
        status: 'connecting',
        reason: 'Telegram error 500: Internal Server Error',
        willReconnect: true,
      },
    });
    const up = await receiver.waitFor((r) => hooks('connected').includes(r), 10_000);
    expect(envelope(up).data).toEqual({ instanceId, mode: 'polling' });
    expect(up.receivedAt).toBeGreaterThanOrEqual(down.receivedAt);
    expect(await status()).toMatchObject({ status: 'connected', reason: null });

    const logs = (
      await alice.get(`/api/instances/${instanceId}/activity?actions=connected,disconnected`).expect(200)
    ).body.logs as { action: string; details: Record<string, unknown> }[];
    expect(logs.slice(0, 2)).toEqual([
      expect.objectContaining({ action: 'connected', details: { status: 'connected', mode: 'polling' } }),
      expect.objectContaining({
        action: 'disconnected',
        details: {
          status: 'connecting',
          reason: 'Telegram error 500: Internal Server Error',
          willReconnect: true,
        },
      }),
    ]);
    // and it polls again: an update pushed now is stored
    tg.pushUpdate(BOT, {
      message: {
        message_id: 7,
        from: { id: 6001, first_name: 'Ren' },
        chat: { id: 6001, type: 'private' },
        date: 1700000000,
        text: 'after the reconnect',
      },
    });
    await eventually(
      async () =>
        (
          await t.db.query('SELECT 1 FROM messages WHERE instance_id = $1 AND text = $2', [
            instanceId,
            'after the reconnect',
          ])
        ).length === 1,
      10_000,
      'the update stored',
    );
  });

  it('Telegram answering 401: needs_reauth, disconnected {willReconnect: false}, polling stops; reconnect resumes it', async () => {
    receiver.reset();
    tg.failNext('getUpdates', { error_code: 401, description: 'Unauthorized' });
    const down = await receiver.waitFor((r) => hooks('disconnected').includes(r), 10_000);
    expect(envelope(down).data).toEqual({
      instanceId,
      status: 'needs_reauth',
      reason: 'Telegram rejected the bot token (401) while polling',
      willReconnect: false,
    });
    expect(await status()).toEqual(
      expect.objectContaining({
        status: 'needs_reauth',
        reason: 'Telegram rejected the bot token (401) while polling',
      }),
    );
    await eventually(async () => !runtime.active.includes(instanceId), 5_000, 'the connection to stop');
    expect(await redis.exists(`${PREFIX}:lease:${connectionLeaseName(instanceId)}`)).toBe(0);
    expect(await gauge('connected')).toBe(0);
    const stoppedAt = polls();
    await new Promise((r) => setTimeout(r, 2500)); // longer than a refresh: not restarted
    expect(polls()).toBe(stoppedAt);
    expect(runtime.active).not.toContain(instanceId);

    const connectedBefore = (await events('connected')).length;
    await alice.post(`/api/instances/${instanceId}/reconnect`).expect(200);
    await eventually(async () => runtime.active.includes(instanceId), 10_000, 'polling to resume');
    await eventually(async () => polls() > stoppedAt, 5_000, 'getUpdates again');
    await eventually(async () => (await gauge('connected')) === 1, 5_000, 'the gauge to show connected');
    // one `connected` for the reconnect, not a second one from the runtime's report
    expect((await events('connected')).length).toBe(connectedBefore + 1);
  });

  it('waiting_for_qr (the WhatsApp Web hook): status waiting_for_qr, qr_received {qr, expiresInMs}, no QR in the activity log', async () => {
    const statuses = t.app.get(ConnectionStatusService);
    receiver.reset();
    await statuses.apply(instanceId, {
      state: 'waiting_for_qr',
      qr: '2@qr-payload,abc',
      expiresInMs: 20_000,
    });
    expect(await status()).toMatchObject({ status: 'waiting_for_qr', reason: null, ready: false });
    const qr = await receiver.waitFor((r) => hooks('qr_received').includes(r), 10_000);
    expect(envelope(qr).data).toEqual({
      instanceId,
      qr: '2@qr-payload,abc',
      qrCode: '2@qr-payload,abc',
      expiresInMs: 20_000,
    });
    const [line] = (await alice.get(`/api/instances/${instanceId}/activity?actions=qr_received`).expect(200))
      .body.logs;
    expect(line.details).toEqual({ status: 'waiting_for_qr', expiresInMs: 20_000 });
    await statuses.apply(instanceId, { state: 'connected', account: { mode: 'polling' } });
    expect(await status()).toMatchObject({ status: 'connected' });
  });

  it('never overrides a status that waits for the user: a report after logout changes nothing', async () => {
    await alice.post(`/api/instances/${instanceId}/logout`).expect(200);
    await t.app.get(ConnectionStatusService).apply(instanceId, { state: 'connected' });
    expect(await status()).toEqual(expect.objectContaining({ status: 'disconnected', reason: 'logout' }));
    await eventually(async () => !runtime.active.includes(instanceId), 5_000, 'the connection to stop');
  });
});
