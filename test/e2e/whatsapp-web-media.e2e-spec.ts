import { createHash, randomBytes } from 'node:crypto';
import dns from 'node:dns';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MediaFetcher } from '../../src/common/http/media-fetcher';
import { SecretBox } from '../../src/common/crypto/secret-box';
import { RedisService } from '../../src/common/redis/redis.service';
import { AppConfig } from '../../src/config/app-config';
import { InstanceEntity } from '../../src/modules/instances-core/instance.entity';
import { ConnectionRuntime } from '../../src/modules/connections/connection-runtime.service';
import type { EngineOutbound } from '../../src/modules/providers/whatsapp-web/engine';
import { fakeWhatsAppWeb as hub } from '../../src/modules/providers/whatsapp-web/fake.engine';
import { WhatsAppWebAdapter } from '../../src/modules/providers/whatsapp-web/whatsapp-web.adapter';
import { WhatsAppWebRemote } from '../../src/modules/providers/whatsapp-web/whatsapp-web.remote';
import { WhatsAppWebService } from '../../src/modules/providers/whatsapp-web/whatsapp-web.service';
import { createTenant, startTestApp, TestApp, TestTenant } from '../utils/test-app';

type Row = Record<string, unknown>;

const PHONE = '15550001111@s.whatsapp.net';
const MAX_BYTES = 256 * 1024;
/**
 * The fake engine, no send pacing; only 127.0.0.1 is open to outbound requests (127.0.0.2, ::1,
 * 169.254.169.254 stay blocked); media fetched by URL up to 256 KiB.
 */
const APP_ENV = {
  WHATSAPP_WEB_ENGINE: 'fake',
  WHATSAPP_WEB_SEND_GAP_MS: '0',
  WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
  WHATSAPP_WEB_MEDIA_MAX_BYTES: String(MAX_BYTES),
};
/** Names the test resolves itself (node:dns `lookup`): a public-looking name for each address. */
const OK_HOST = 'cdn.media-ok.test';
const EVIL_HOST = 'cdn.media-evil.test';
const REBIND_HOST = 'cdn.media-rebind.test';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function until<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** An HTTP server recording every request it gets; `routes` by path. */
async function mediaServer(
  host: string,
  port: number,
  routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void>,
): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const route = routes[(req.url ?? '').split('?')[0]];
    if (route) return route(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port, hits };
}

/**
 * WhatsApp Web outbound media (issue 14): by URL the gateway fetches the bytes itself through the
 * SSRF-guarded client (the address dialled is the address checked) and hands Baileys a Buffer,
 * never the URL; uploads wait in the process for the send that follows. Real AppModule,
 * PostgreSQL and Redis; the fake engine stands in for WhatsApp; media served from 127.0.0.1.
 */
describe('WhatsApp Web media (e2e, fake engine)', () => {
  let t: TestApp;
  let alice: TestTenant;
  let good: Awaited<ReturnType<typeof mediaServer>>;
  /** On 127.0.0.2 (blocked), same port: what a rebound name would reach. Must never be hit. */
  let internal: Awaited<ReturnType<typeof mediaServer>>;
  let base: string;
  const lookups: Record<string, number> = {};
  const PHOTO = randomBytes(100_000);
  const VOICE = randomBytes(30_000);
  const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(20_000)]);
  const active = (id: string) => t.app.get(ConnectionRuntime).active.includes(id);
  const rows = (sql: string, params: unknown[] = []): Promise<Row[]> => t.db.query(sql, params);
  const status = async (id: string) =>
    (await rows('SELECT status FROM instances WHERE id = $1', [id]))[0]?.status;
  const count = async (id: string) =>
    (await rows('SELECT count(*)::int AS n FROM messages WHERE instance_id = $1', [id]))[0].n as number;
  const lastSent = () => hub.sent[hub.sent.length - 1];

  /** A WhatsApp Web instance, linked (QR scanned) and connected. */
  const linked = async (): Promise<string> => {
    const res = await alice
      .post('/api/instances')
      .send({ provider: 'whatsapp-web', name: 'WA media', config: {} })
      .expect(201);
    const id = res.body.id as string;
    const engine = await hub.engine(id);
    await until(async () => (await status(id)) === 'waiting_for_qr', 'QR');
    await engine.scan({ jid: PHONE, name: 'Fake Phone' });
    await until(async () => (await status(id)) === 'connected', 'connected');
    await hub.engine(id);
    return id;
  };
  const send = (id: string, body: Row) =>
    alice.post(`/api/instances/${id}/messages`).send({ to: '79001234567', ...body });

  beforeAll(async () => {
    good = await mediaServer('127.0.0.1', 0, {
      '/photo.png': (_q, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(PHOTO),
      '/voice.ogg': (_q, res) => res.writeHead(200, { 'content-type': 'audio/ogg; codecs=opus' }).end(VOICE),
      '/files/invoice%20march.pdf': (_q, res) =>
        res.writeHead(200, { 'content-type': 'application/pdf' }).end(PDF),
      '/moved': (_q, res) => res.writeHead(302, { location: '/photo.png' }).end(),
      '/moved-inside': (_q, res) =>
        res.writeHead(302, { location: `http://127.0.0.2:${good.port}/secret` }).end(),
      '/broken': (_q, res) => res.writeHead(500).end('boom'),
      '/big': (_q, res) =>
        res
          .writeHead(200, { 'content-type': 'image/png', 'content-length': MAX_BYTES + 1 })
          .end(Buffer.alloc(MAX_BYTES + 1)),
      '/big-stream': (_q, res) => {
        // no Content-Length: the cut happens while reading
        res.writeHead(200, { 'content-type': 'image/png', 'transfer-encoding': 'chunked' });
        for (let i = 0; i < 5; i++) res.write(Buffer.alloc(64 * 1024));
        res.end();
      },
    });
    internal = await mediaServer('127.0.0.2', good.port, {
      '/secret': (_q, res) => res.writeHead(200, { 'content-type': 'image/png' }).end('internal'),
    });
    base = `http://127.0.0.1:${good.port}`;
    // the test's own DNS for three names (all else: the system's); the guarded client resolves through node:dns
    const real = dns.lookup;
    jest.spyOn(dns, 'lookup').mockImplementation(((
      hostname: string,
      options: unknown,
      callback?: (...a: unknown[]) => void,
    ) => {
      const cb = (typeof options === 'function' ? options : callback) as (...a: unknown[]) => void;
      const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
      let address: string | undefined;
      if (hostname === OK_HOST) address = '127.0.0.1';
      if (hostname === EVIL_HOST) address = '127.0.0.2';
      // rebinding: allowed at the first answer, internal at every later one
      if (hostname === REBIND_HOST) address = lookups[hostname] ? '127.0.0.2' : '127.0.0.1';
      if (!address) return (real as (...a: unknown[]) => void)(hostname, options, callback);
      lookups[hostname] = (lookups[hostname] ?? 0) + 1;
      process.nextTick(() => (all ? cb(null, [{ address, family: 4 }]) : cb(null, address, 4)));
    }) as typeof dns.lookup);
    t = await startTestApp(APP_ENV);
    alice = await createTenant(t);
  });

  afterEach(async () => {
    const [parked]: [{ id: string }[], number] = await t.db.query(
      `UPDATE instances SET status = 'disconnected' WHERE provider = 'whatsapp-web' RETURNING id`,
    );
    await until(() => !parked.some((p) => active(p.id)), 'connections to stop');
    hub.reset();
    expect(internal.hits).toEqual([]); // nothing ever reached the blocked address
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.close();
    await new Promise((r) => good?.server.close(r));
    await new Promise((r) => internal?.server.close(r));
  });

  it('by URL: the gateway fetches the media and hands WhatsApp the exact bytes, type and name', async () => {
    const id = await linked();
    const providers = await alice.get('/api/providers').expect(200);
    const caps = (providers.body.providers as Row[]).find((p) => p.provider === 'whatsapp-web')!
      .capabilities as Row;
    expect(caps).toMatchObject({ mediaByUrl: true, mediaUpload: true });

    const image = await send(id, { type: 'image', media: { url: `${base}/photo.png` }, caption: 'look' });
    expect(image.status).toBe(201);
    expect(image.body).toMatchObject({
      status: 'sent',
      media: { url: `${base}/photo.png`, caption: 'look' },
    });
    const img = lastSent().content as Extract<EngineOutbound, { image: unknown }>;
    expect(Buffer.isBuffer(img.image)).toBe(true);
    expect(sha256(img.image)).toBe(sha256(PHOTO));
    expect(img).toMatchObject({ mimetype: 'image/png', caption: 'look' });

    // a name resolved when dialled (through the guarded lookup), and a redirect followed
    await send(id, { type: 'image', media: { url: `http://${OK_HOST}:${good.port}/moved` } }).expect(201);
    expect(sha256((lastSent().content as { image: Buffer }).image)).toBe(sha256(PHOTO));
    expect(good.hits.slice(-2)).toEqual(['/moved', '/photo.png']);

    await send(id, { type: 'voice', media: { url: `${base}/voice.ogg` } }).expect(201);
    const voice = lastSent().content as Extract<EngineOutbound, { audio: unknown }>;
    expect(sha256(voice.audio)).toBe(sha256(VOICE));
    expect(voice).toMatchObject({ ptt: true, mimetype: 'audio/ogg; codecs=opus' });

    // a document takes the server's type and the URL's file name unless `filename` is given
    await send(id, { type: 'document', media: { url: `${base}/files/invoice%20march.pdf` } }).expect(201);
    const doc = lastSent().content as Extract<EngineOutbound, { document: unknown }>;
    expect(sha256(doc.document)).toBe(sha256(PDF));
    expect(doc).toMatchObject({ mimetype: 'application/pdf', fileName: 'invoice march.pdf' });
    await send(id, {
      type: 'document',
      media: { url: `${base}/files/invoice%20march.pdf` },
      filename: 'March.pdf',
    }).expect(201);
    expect(lastSent().content).toMatchObject({ fileName: 'March.pdf', mimetype: 'application/pdf' });
    expect(
      await rows(`SELECT status, count(*)::int AS n FROM messages WHERE instance_id = $1 GROUP BY status`, [
        id,
      ]),
    ).toEqual([{ status: 'sent', n: 5 }]);
  });

  it('an address the SSRF policy blocks — a name resolving to it, a literal one, a redirect to it, a rebound name — is refused with 422 on media.url; nothing stored, sent or dialled', async () => {
    const id = await linked();
    const sentBefore = hub.sent.length;
    const refused = async (url: string, detail: RegExp) => {
      const res = await alice
        .post(`/api/instances/${id}/messages`)
        .send({ to: '79005550000', type: 'image', media: { url } });
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ code: 'media_url_refused', provider: 'whatsapp-web' });
      expect(res.body.detail).toMatch(detail);
      expect(res.body.errors).toEqual([{ field: 'media.url', message: expect.stringMatching(detail) }]);
    };
    await refused(
      `http://${EVIL_HOST}:${good.port}/secret`,
      /resolves to a blocked address \(127\.0\.0\.2\)/,
    );
    await refused(`http://127.0.0.2:${good.port}/secret`, /blocked address \(127\.0\.0\.2\)/);
    await refused('http://169.254.169.254/latest/meta-data', /blocked address \(169\.254\.169\.254\)/);
    await refused(`http://[::1]:${good.port}/secret`, /blocked address \(::1\)/);
    await refused(`${base}/moved-inside`, /blocked address \(127\.0\.0\.2\)/);
    expect(hub.sent.length).toBe(sentBefore);
    expect(await count(id)).toBe(0);
    expect(
      await rows(`SELECT 1 FROM chats WHERE instance_id = $1 AND provider_chat_id LIKE '79005550000%'`, [id]),
    ).toEqual([]);

    // DNS rebinding: the name answers 127.0.0.1 once, 127.0.0.2 afterwards — the gateway dials
    // the very address it checked (one lookup), so the internal server is never reached
    await send(id, { type: 'image', media: { url: `http://${REBIND_HOST}:${good.port}/photo.png` } }).expect(
      201,
    );
    expect(lookups[REBIND_HOST]).toBe(1);
    expect(sha256((lastSent().content as { image: Buffer }).image)).toBe(sha256(PHOTO));
    expect(internal.hits).toEqual([]);
  });

  it('a media URL that fails (404, 500, connection refused) or is too large: 422 naming media.url and the status; nothing stored or sent', async () => {
    const id = await linked();
    const sentBefore = hub.sent.length;
    const failed = async (url: string, code: string, detail: RegExp, extra: Row = {}) => {
      const res = await send(id, { type: 'document', media: { url }, filename: 'x.pdf' });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ code, provider: 'whatsapp-web', ...extra });
      expect(res.body.detail).toMatch(detail);
      expect(res.body.errors).toEqual([{ field: 'media.url', message: expect.stringMatching(detail) }]);
    };
    await failed(`${base}/nothing-here.pdf`, 'media_fetch_failed', /answered HTTP 404$/, {
      mediaStatus: 404,
      detail: 'media.url answered HTTP 404',
    });
    await failed(`${base}/broken`, 'media_fetch_failed', /answered HTTP 500/, { mediaStatus: 500 });
    // a port nothing listens on
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await failed(
      `http://127.0.0.1:${closedPort}/x.pdf`,
      'media_fetch_failed',
      /could not be reached \(ECONNREFUSED/,
    );
    await failed(
      `${base}/big`,
      'media_too_large',
      new RegExp(`is ${MAX_BYTES + 1} bytes, more than ${MAX_BYTES}`),
    );
    await failed(`${base}/big-stream`, 'media_too_large', new RegExp(`more than ${MAX_BYTES} bytes`));
    expect(hub.sent.length).toBe(sentBefore);
    expect(await count(id)).toBe(0);
  });

  it('async sends (Prefer: respond-async) fetch when they send: the bytes arrive; a refused URL fails the queued message', async () => {
    const id = await linked();
    const queued = await send(id, { type: 'image', media: { url: `${base}/photo.png` } })
      .set('Prefer', 'respond-async')
      .expect(202);
    expect(queued.body.status).toBe('queued');
    await until(
      async () =>
        (await rows('SELECT status FROM messages WHERE id = $1', [queued.body.id]))[0].status === 'sent',
      'queued image sent',
    );
    expect(sha256((lastSent().content as { image: Buffer }).image)).toBe(sha256(PHOTO));

    // names are checked when dialled, in the send worker: the queued message fails with the refusal
    const sentBefore = hub.sent.length;
    const evil = await send(id, { type: 'image', media: { url: `http://${EVIL_HOST}:${good.port}/secret` } })
      .set('Prefer', 'respond-async')
      .expect(202);
    const row = await until(async () => {
      const [r] = await rows('SELECT status, error FROM messages WHERE id = $1', [evil.body.id]);
      return r.status === 'failed' ? r : undefined;
    }, 'queued refusal failed');
    expect(row!.error).toMatchObject({
      status: 422,
      code: 'media_url_refused',
      errors: [{ field: 'media.url', message: expect.stringContaining('127.0.0.2') }],
    });
    expect(hub.sent.length).toBe(sentBefore);
    // a literal blocked address is refused before anything is queued
    await send(id, { type: 'image', media: { url: `http://127.0.0.2:${good.port}/secret` } })
      .set('Prefer', 'respond-async')
      .expect(422);
    expect(await count(id)).toBe(2);
  });

  it('upload: an image, a document and a voice note reach WhatsApp with the exact bytes, mimetype and file name', async () => {
    const id = await linked();
    const upload = (type: string, file: Buffer, filename: string, contentType: string, fields: Row = {}) => {
      let req = alice
        .post(`/api/instances/${id}/messages/upload`)
        .field('to', '79001234567')
        .field('type', type);
      for (const [k, v] of Object.entries(fields)) req = req.field(k, String(v));
      return req.attach('file', file, { filename, contentType });
    };
    const image = await upload('image', PHOTO, 'photo.png', 'image/png', { caption: 'uploaded' }).expect(201);
    expect(image.body).toMatchObject({ status: 'sent', type: 'image' });
    const img = lastSent().content as Extract<EngineOutbound, { image: unknown }>;
    expect(sha256(img.image)).toBe(sha256(PHOTO));
    expect(img).toMatchObject({ mimetype: 'image/png', caption: 'uploaded' });

    await upload('document', PDF, 'contract.pdf', 'application/pdf').expect(201);
    const doc = lastSent().content as Extract<EngineOutbound, { document: unknown }>;
    expect(sha256(doc.document)).toBe(sha256(PDF));
    expect(doc).toMatchObject({ mimetype: 'application/pdf', fileName: 'contract.pdf' });
    await upload('document', PDF, 'contract.pdf', 'application/pdf', { filename: 'Signed.pdf' }).expect(201);
    expect(lastSent().content).toMatchObject({ fileName: 'Signed.pdf' });

    await upload('voice', VOICE, 'note.ogg', 'audio/ogg').expect(201);
    const voice = lastSent().content as Extract<EngineOutbound, { audio: unknown }>;
    expect(sha256(voice.audio)).toBe(sha256(VOICE));
    expect(voice).toMatchObject({ ptt: true, mimetype: 'audio/ogg' });
    expect(
      await rows(`SELECT type, status FROM messages WHERE instance_id = $1 ORDER BY created_at`, [id]),
    ).toEqual([
      { type: 'image', status: 'sent' },
      { type: 'document', status: 'sent' },
      { type: 'document', status: 'sent' },
      { type: 'voice', status: 'sent' },
    ]);

    // WhatsApp Web has no media ids of its own to send by
    const byId = await send(id, { type: 'image', media: { providerMediaId: 'abc' } }).expect(400);
    expect(byId.body.errors).toEqual([expect.objectContaining({ field: 'media.providerMediaId' })]);
    const expired = await send(id, {
      type: 'image',
      media: { providerMediaId: 'upload:00000000-0000-4000-8000-000000000000' },
    }).expect(422);
    expect(expired.body).toMatchObject({ code: 'upload_expired', provider: 'whatsapp-web' });
    expect(await count(id)).toBe(4);
  });

  it('from another process (no socket): media by URL and by upload travel to the holder over Redis as the exact bytes', async () => {
    const config = t.app.get(AppConfig);
    const redis2 = new RedisService(config);
    const remote2 = new WhatsAppWebRemote(redis2);
    const svc = t.app.get(WhatsAppWebService);
    const svc2 = new WhatsAppWebService(t.db, t.app.get(SecretBox), config, svc.engineFactory, remote2);
    const apiSide = new WhatsAppWebAdapter(svc2, t.db, config, t.app.get(MediaFetcher));
    try {
      const id = await linked();
      const instance = await t.db.getRepository(InstanceEntity).findOneByOrFail({ id });
      // the queue's path: send() gets the message unprepared and fetches itself
      const byUrl = await apiSide.send(instance, {
        to: '79001234567',
        type: 'document',
        media: { url: `${base}/files/invoice%20march.pdf` },
      });
      const doc = lastSent();
      expect(byUrl.providerMessageId).toBe(doc.message.key.id);
      expect(Buffer.isBuffer((doc.content as { document: Buffer }).document)).toBe(true);
      expect(sha256((doc.content as { document: Buffer }).document)).toBe(sha256(PDF));
      expect(doc.content).toMatchObject({ mimetype: 'application/pdf', fileName: 'invoice march.pdf' });

      const uploadId = await apiSide.uploadMedia(instance, {
        buffer: VOICE,
        mimeType: 'audio/ogg; codecs=opus',
        fileName: 'n.ogg',
      });
      expect(uploadId).toMatch(/^upload:/);
      const prepared = await apiSide.prepareSend(instance, {
        to: '79001234567',
        type: 'voice',
        media: { providerMediaId: uploadId },
      });
      await apiSide.send(instance, prepared);
      expect(sha256((lastSent().content as { audio: Buffer }).audio)).toBe(sha256(VOICE));
      // taken once: the same upload id cannot be sent twice
      await expect(
        apiSide.send(instance, { to: '79001234567', type: 'voice', media: { providerMediaId: uploadId } }),
      ).rejects.toMatchObject({ status: 422, code: 'upload_expired' });
    } finally {
      await remote2.onModuleDestroy();
      await redis2.onApplicationShutdown();
    }
  });
});
