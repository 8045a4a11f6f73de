import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { createTenant, startTestApp, TestApp, TestTenant } from '../utils/test-app';

const BOT = '550601987:EEHdqTcvCH1vGWJxfSeofSAs0K5PALDsea';
const BOT2 = '660702098:FFHdqTcvCH1vGWJxfSeofSAs0K5PALDseb';

/**
 * The seeds' routes (multi-instance-api.md § WhatsApp API / § Контакты, multi-provider-system.md)
 * on a Telegram instance: the seeds' response shapes, the same provider calls as the canonical
 * routes, 422 where Telegram cannot do it, 404 across tenants.
 */
describe('Seed-compatible routes (e2e)', () => {
  let t: TestApp;
  let tg: FakeTelegramApi;
  let alice: TestTenant;
  let bob: TestTenant;
  let instanceId: string;

  beforeAll(async () => {
    tg = await FakeTelegramApi.start();
    tg.addBot(BOT, { username: 'seed_bot' });
    tg.addBot(BOT2, { username: 'seed_bot_two' });
    t = await startTestApp({ TELEGRAM_API_ROOT: tg.apiRoot });
    alice = await createTenant(t);
    bob = await createTenant(t);
    const created = await alice
      .post('/api/v1/multi-provider/instances')
      .send({ provider: 'telegram', config: { botToken: BOT } })
      .expect(201);
    expect(created.body).toEqual({ instanceId: expect.any(String), provider: 'telegram', status: 'created' });
    instanceId = created.body.instanceId;
  });

  afterAll(async () => {
    await t.close();
    await tg.stop();
  });

  describe('/api/whatsapp/:instanceId', () => {
    it('status and a clear QR error', async () => {
      const status = await alice.get(`/api/whatsapp/${instanceId}/status`).expect(200);
      expect(status.body).toEqual({ ready: true, status: 'connected', hasQr: false });
      const qr = await alice.get(`/api/whatsapp/${instanceId}/qr`).expect(422);
      expect(qr.body).toMatchObject({ code: 'qr_not_supported', provider: 'telegram' });
    });

    it('send {phone, message} → {id} through sendMessage', async () => {
      const res = await alice
        .post(`/api/whatsapp/${instanceId}/send`)
        .send({ phone: '4242', message: 'Привет!' })
        .expect(200);
      expect(res.body).toEqual({ id: expect.stringMatching(/^4242:\d+$/), messageId: expect.any(String) });
      expect(tg.lastCall('sendMessage')).toMatchObject({
        token: BOT,
        params: { chat_id: 4242, text: 'Привет!' },
      });
      const [row] = await t.db.query(
        'SELECT direction, type, text, provider_message_id FROM messages WHERE id = $1',
        [res.body.messageId],
      );
      expect(row).toEqual({
        direction: 'out',
        type: 'text',
        text: 'Привет!',
        provider_message_id: res.body.id,
      });

      const bad = await alice.post(`/api/whatsapp/${instanceId}/send`).send({ phone: '4242' }).expect(400);
      expect(bad.body.errors[0].field).toBe('message');
    });

    it('send-media {phone, url, caption, filename} picks the method from the extension', async () => {
      const photo = await alice
        .post(`/api/whatsapp/${instanceId}/send-media`)
        .send({ phone: '4242', url: 'https://example.com/image.jpg', caption: 'pic', filename: 'image.jpg' })
        .expect(200);
      expect(photo.body.id).toMatch(/^4242:\d+$/);
      expect(tg.lastCall('sendPhoto')!.params).toMatchObject({
        chat_id: 4242,
        photo: 'https://example.com/image.jpg',
        caption: 'pic',
      });
      await alice
        .post(`/api/whatsapp/${instanceId}/send-media`)
        .send({ phone: '4242', url: 'https://example.com/download?id=7', filename: 'report.pdf' })
        .expect(200);
      expect(tg.lastCall('sendDocument')!.params).toMatchObject({
        document: 'https://example.com/download?id=7',
      });
    });

    it('send-file, contacts/add and contacts/import answer 422 naming the provider', async () => {
      const file = await alice
        .post(`/api/whatsapp/${instanceId}/send-file`)
        .field('phone', '4242')
        .attach('file', Buffer.from('hello'), 'a.txt')
        .expect(422);
      expect(file.body).toMatchObject({ code: 'media_upload_unsupported', provider: 'telegram' });
      const add = await alice
        .post(`/api/whatsapp/${instanceId}/contacts/add`)
        .send({ phone: '4242', name: 'Ann' })
        .expect(422);
      expect(add.body).toMatchObject({ code: 'contacts_add_unsupported', provider: 'telegram' });
      for (const path of [
        `/api/whatsapp/${instanceId}/contacts/import`,
        `/api/instances/${instanceId}/contacts/import`,
      ]) {
        const imp = await alice.post(path).expect(422);
        expect(imp.body).toMatchObject({ code: 'contacts_import_unsupported', provider: 'telegram' });
      }
    });

    it('contacts/save, contacts/db and contacts', async () => {
      const saved = await alice
        .post(`/api/whatsapp/${instanceId}/contacts/save`)
        .send({ number: '4242', name: 'Ann Lee', about: 'hi' })
        .expect(201);
      expect(saved.body).toMatchObject({
        instanceId,
        name: 'Ann Lee',
        number: '4242',
        about: 'hi',
        isGroup: false,
      });
      const db = await alice.get(`/api/whatsapp/${instanceId}/contacts/db?search=Ann`).expect(200);
      expect(db.body.contacts).toEqual([expect.objectContaining({ id: saved.body.id, name: 'Ann Lee' })]);
      expect(db.body.pagination).toMatchObject({ total: 1, hasMore: false });
      const list = await alice.get(`/api/whatsapp/${instanceId}/contacts`).expect(200);
      expect(list.body).toEqual({
        contacts: [{ id: '4242', name: 'Ann Lee', number: '4242', isGroup: false }],
      });
    });

    it('hides another tenant’s instance (404)', async () => {
      await bob.get(`/api/whatsapp/${instanceId}/status`).expect(404);
      await bob.post(`/api/whatsapp/${instanceId}/send`).send({ phone: '4242', message: 'x' }).expect(404);
      await bob.get('/api/whatsapp/not-a-uuid/status').expect(404);
    });

    it('logout → {success: true}', async () => {
      const other = await alice
        .post('/api/instances')
        .send({ provider: 'telegram', name: 'Second', config: { botToken: BOT2 } })
        .expect(201);
      const res = await alice.post(`/api/whatsapp/${other.body.id}/logout`).expect(200);
      expect(res.body).toEqual({ success: true });
      const status = await alice.get(`/api/whatsapp/${other.body.id}/status`).expect(200);
      expect(status.body).toEqual({ ready: false, status: 'disconnected', hasQr: false });
    });
  });

  describe('/api/v1/multi-provider', () => {
    it('send-message {to, message} reaches sendMessage; a wrong provider is a 404', async () => {
      const res = await alice
        .post(`/api/v1/multi-provider/instances/telegram/${instanceId}/send-message`)
        .send({ to: '777', message: 'Hello World!' })
        .expect(200);
      expect(res.body).toEqual({
        success: true,
        messageId: expect.any(String),
        providerMessageId: expect.stringMatching(/^777:\d+$/),
      });
      expect(tg.lastCall('sendMessage')!.params).toMatchObject({ chat_id: 777, text: 'Hello World!' });
      await alice
        .post(`/api/v1/multi-provider/instances/slack/${instanceId}/send-message`)
        .send({ to: '777', message: 'x' })
        .expect(404);
    });

    it('status, instances, stats and active providers', async () => {
      const status = await alice
        .get(`/api/v1/multi-provider/instances/telegram/${instanceId}/status`)
        .expect(200);
      expect(status.body).toMatchObject({ instanceId, ready: true, status: 'connected' });

      const list = await alice.get('/api/v1/multi-provider/instances').expect(200);
      expect(list.body.instances).toEqual(
        expect.arrayContaining([
          { instanceId, provider: 'telegram', name: 'telegram instance', status: 'connected' },
        ]),
      );

      const stats = await alice.get('/api/v1/multi-provider/stats').expect(200);
      expect(stats.body).toEqual({
        stats: { Telegram: { count: 2, instances: expect.arrayContaining([instanceId]) } },
        timestamp: expect.any(String),
      });
      const bobs = await bob.get('/api/v1/multi-provider/stats').expect(200);
      expect(bobs.body.stats).toEqual({});

      const providers = await alice.get('/api/v1/multi-provider/active-providers').expect(200);
      expect(providers.body).toEqual({
        providers: expect.arrayContaining([
          'telegram',
          'whatsapp-official',
          'facebook-messenger',
          'instagram',
          'slack',
          'discord',
        ]),
        count: providers.body.providers.length,
      });
    });

    it('is documented under the compatibility tag', async () => {
      const doc = await t.http().get('/api/docs-json').expect(200);
      const tagged = (path: string, method: string) => doc.body.paths[path]?.[method]?.tags;
      expect(tagged('/api/whatsapp/{instanceId}/send', 'post')).toEqual(['compatibility']);
      expect(tagged('/api/v1/multi-provider/instances/{provider}/{instanceId}/send-message', 'post')).toEqual(
        ['compatibility'],
      );
      expect(tagged('/api/stats/system', 'get')).toEqual(['stats']);
    });

    it('is authenticated like every route', async () => {
      await t.http().get('/api/v1/multi-provider/stats').expect(401);
      await t.http().post(`/api/whatsapp/${instanceId}/send`).send({ phone: '1', message: 'x' }).expect(401);
    });
  });
});
