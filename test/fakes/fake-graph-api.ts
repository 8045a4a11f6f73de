import { createHmac, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

/**
 * Local stand-in for Meta's Graph API (WhatsApp Cloud API), speaking the real wire format over
 * real HTTP on 127.0.0.1 (PROVIDERS.md §2, §9):
 * - Messenger / Instagram: `/<version>/<PAGE_ID|IG_ID>` (GET) and `/<version>/<PAGE_ID|IG_ID>/messages`
 *   (POST Send API bodies and sender actions) → `{recipient_id, message_id}`.
 * - `/<version>/<PHONE_NUMBER_ID>` (GET: phone number facts), `/<version>/<PHONE_NUMBER_ID>/messages`
 *   (POST: send or `status: read`), `/<version>/<PHONE_NUMBER_ID>/media` (POST multipart upload),
 *   `/<version>/<MEDIA_ID>` (GET: media URL); `GET /media-download/<MEDIA_ID>` serves the bytes
 *   (Bearer required, as Meta's lookaside URLs).
 * - Auth: `Authorization: Bearer <token>` or `access_token` query; an unknown token → 401 code 190.
 * - Errors: `{"error":{message,type,code,error_subcode?,error_data?,fbtrace_id}}`; {@link failNext}
 *   injects one (see {@link GRAPH_ERRORS}).
 * - `POST /sandbox/webhook` `{url, appSecret, body}` (not part of Graph; for `npm run sandbox`) pushes
 *   `body` to `url` like {@link pushWebhook} and answers the gateway's status.
 * - {@link pushWebhook} POSTs a webhook exactly as Meta does: `\uXXXX`-escaped JSON (and `\/`),
 *   `X-Hub-Signature-256: sha256=<hex HMAC of the bytes sent>` and the legacy `X-Hub-Signature`.
 */

/** One recorded Graph call. */
export interface RecordedGraphCall {
  method: string;
  /** Path after the version, e.g. `/106540352242922/messages`. */
  path: string;
  version: string;
  /** Bearer token or access_token param. */
  token: string | null;
  query: Record<string, string>;
  /** JSON body, or the multipart text fields (files as `{fileName, size, contentType}`). */
  body: Record<string, unknown> | null;
  /** The request body exactly as received (UTF-8), for byte-level assertions. */
  rawBody: string;
  at: Date;
}

/** A Graph error envelope's `error` object. */
export interface GraphErrorSpec {
  message: string;
  type: string;
  code: number;
  error_subcode?: number;
  error_data?: { messaging_product?: string; details?: string };
  fbtrace_id?: string;
}

/** Real error bodies (Meta's error-codes pages, PROVIDERS.md §2.2 / §3.2). */
export const GRAPH_ERRORS = {
  reengagement: {
    status: 400,
    error: {
      message: '(#131047) Re-engagement message',
      type: 'OAuthException',
      code: 131047,
      error_data: {
        messaging_product: 'whatsapp',
        details:
          'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
      },
      fbtrace_id: 'A7xH3G5dPfL1qMzK8nR2sT0',
    },
  },
  rateLimit: {
    status: 400,
    error: {
      message: '(#130429) Rate limit hit',
      type: 'OAuthException',
      code: 130429,
      error_data: {
        messaging_product: 'whatsapp',
        details:
          'Message failed to send because there were too many messages sent from this phone number in a short period of time',
      },
      error_subcode: 2494055,
      fbtrace_id: 'Az8or2yhqkZfEZ-_4Qn_Bam',
    },
  },
  expiredToken: {
    status: 401,
    error: {
      message: 'Error validating access token: Session has expired on Friday, 20-Nov-26 10:00:00 PST.',
      type: 'OAuthException',
      code: 190,
      error_subcode: 463,
      fbtrace_id: 'BLBz/WZt8dN',
    },
  },
  notAllowed: {
    status: 400,
    error: {
      message: '(#131030) Recipient phone number not in allowed list',
      type: 'OAuthException',
      code: 131030,
      error_data: {
        messaging_product: 'whatsapp',
        details:
          'Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again.',
      },
      fbtrace_id: 'AeXWl6nYb5sVHxIYkyTi2mA',
    },
  },
  noMatchingUser: {
    status: 400,
    error: {
      message: '(#100) No matching user found',
      type: 'OAuthException',
      code: 100,
      error_subcode: 2018001,
      fbtrace_id: 'AX7LwGmBMuz',
    },
  },
} satisfies Record<string, { status: number; error: GraphErrorSpec }>;

interface PhoneNumber {
  token: string;
  displayPhoneNumber: string;
  verifiedName: string;
}

interface Media {
  bytes: Buffer;
  mimeType: string;
}

interface Failure {
  path: RegExp;
  status: number;
  error: GraphErrorSpec;
  headers: Record<string, string>;
}

/** Meta's webhook serialization: non-ASCII as lowercase `\uXXXX`, and `/` as `\/`. */
export function metaJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function hubSignature256(secret: string, raw: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

export class FakeGraphApi {
  readonly calls: RecordedGraphCall[] = [];
  private readonly phones = new Map<string, PhoneNumber>();
  private readonly pages = new Map<string, { token: string; name: string; instagram?: boolean }>();
  private readonly media = new Map<string, Media>();
  private readonly failures: Failure[] = [];
  private readonly listeners: ((call: RecordedGraphCall) => void)[] = [];
  private seq = 0;

  private constructor(private readonly server: http.Server) {}

  static async start(port = 0): Promise<FakeGraphApi> {
    const server = http.createServer();
    const fake = new FakeGraphApi(server);
    server.on('request', (req, res) => {
      void fake.handle(req, res).catch((err) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ error: { message: String(err), type: 'FakeError', code: 1 } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return fake;
  }

  /** e.g. `http://127.0.0.1:PORT` (GRAPH_API_BASE_URL). */
  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addPhoneNumber(
    phoneNumberId: string,
    opts: { token: string; displayPhoneNumber?: string; verifiedName?: string },
  ) {
    this.phones.set(phoneNumberId, {
      token: opts.token,
      displayPhoneNumber: opts.displayPhoneNumber ?? '+1 555-010-0000',
      verifiedName: opts.verifiedName ?? 'Switchboard Test',
    });
  }

  /** A Facebook Page reachable with its Page access token (Messenger Send API). */
  addPage(pageId: string, opts: { token: string; name?: string }): void {
    this.pages.set(pageId, { token: opts.token, name: opts.name ?? 'Switchboard Page' });
  }

  /** An Instagram professional account (messaging like a Page, but no `messaging_type` required). */
  addInstagramAccount(igId: string, opts: { token: string; username?: string }): void {
    this.pages.set(igId, { token: opts.token, name: opts.username ?? 'switchboard.test', instagram: true });
  }

  /** Media downloadable through `GET /<version>/<mediaId>` then the returned URL. */
  addMedia(mediaId: string, bytes: Buffer, mimeType: string): void {
    this.media.set(mediaId, { bytes, mimeType });
  }

  /** The next call whose path matches answers with this Graph error (once). */
  failNext(
    path: RegExp,
    spec: { status: number; error: GraphErrorSpec },
    headers: Record<string, string> = {},
  ) {
    this.failures.push({ path, status: spec.status, error: spec.error, headers });
  }

  /** Called with every recorded Graph call (the sandbox logs them). */
  onCall(listener: (call: RecordedGraphCall) => void): void {
    this.listeners.push(listener);
  }

  callsTo(path: RegExp, method?: string): RecordedGraphCall[] {
    return this.calls.filter((c) => path.test(c.path) && (!method || c.method === method));
  }

  lastCall(path: RegExp, method?: string): RecordedGraphCall | undefined {
    return this.callsTo(path, method).at(-1);
  }

  /**
   * POSTs `body` to `url` as Meta does; `secret` null sends no signature, `signature` overrides it.
   * @returns the gateway's status and body text.
   */
  async pushWebhook(
    url: string,
    body: unknown,
    secret: string | null,
    opts: { signature?: string; raw?: string } = {},
  ): Promise<{ status: number; text: string; raw: string }> {
    const raw = opts.raw ?? metaJson(body);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'facebookexternalua',
    };
    if (opts.signature !== undefined) headers['x-hub-signature-256'] = opts.signature;
    else if (secret !== null) {
      headers['x-hub-signature-256'] = hubSignature256(secret, raw);
      headers['x-hub-signature'] = `sha1=${createHmac('sha1', secret).update(raw).digest('hex')}`;
    }
    const res = await request(url, { method: 'POST', headers, body: raw });
    return { status: res.statusCode, text: await res.body.text(), raw };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : url.searchParams.get('access_token');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
      res.end(JSON.stringify(body));
    };
    const fail = (status: number, error: GraphErrorSpec, headers: Record<string, string> = {}) =>
      send(status, { error: { fbtrace_id: this.trace(), ...error } }, headers);
    const knownToken =
      !!token && [...this.phones.values(), ...this.pages.values()].some((p) => p.token === token);

    const download = url.pathname.match(/^\/media-download\/([^/]+)$/);
    if (download) {
      const m = this.media.get(decodeURIComponent(download[1]));
      if (!knownToken) return fail(401, GRAPH_ERRORS.expiredToken.error);
      if (!m) return fail(404, { message: 'Not found', type: 'GraphMethodException', code: 100 });
      res.writeHead(200, { 'content-type': m.mimeType, 'content-length': String(m.bytes.length) });
      res.end(m.bytes);
      return;
    }

    if (req.method === 'POST' && url.pathname === '/sandbox/webhook') {
      const {
        url: target,
        appSecret,
        body,
      } = JSON.parse(raw.toString('utf8')) as {
        url: string;
        appSecret: string;
        body: unknown;
      };
      const pushed = await this.pushWebhook(target, body, appSecret);
      return send(200, { status: pushed.status, response: pushed.text });
    }

    const match = url.pathname.match(/^\/(v\d+\.\d+)(\/.*)$/);
    if (!match) return fail(400, { message: 'Unknown path components', type: 'OAuthException', code: 2500 });
    const [, version, path] = match;
    const body = await this.parseBody(req, raw);
    const call: RecordedGraphCall = {
      method: req.method ?? 'GET',
      path,
      version,
      token,
      query: Object.fromEntries(url.searchParams),
      body,
      rawBody: raw.toString('utf8'),
      at: new Date(),
    };
    this.calls.push(call);
    for (const listener of this.listeners) listener(call);
    if (!knownToken) {
      return fail(401, {
        message: 'Invalid OAuth access token - Cannot parse access token',
        type: 'OAuthException',
        code: 190,
      });
    }
    const injected = this.failures.findIndex((f) => f.path.test(path));
    if (injected >= 0) {
      const [f] = this.failures.splice(injected, 1);
      return fail(f.status, f.error, f.headers);
    }

    const [, id, edge] = path.split('/');
    const phone = this.phones.get(id);
    if (phone && phone.token !== token) {
      return fail(400, {
        message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
        type: 'GraphMethodException',
        code: 100,
        error_subcode: 33,
      });
    }
    if (req.method === 'GET' && phone && !edge) {
      return send(200, {
        id,
        display_phone_number: phone.displayPhoneNumber,
        verified_name: phone.verifiedName,
        quality_rating: 'GREEN',
      });
    }
    if (req.method === 'POST' && phone && edge === 'messages') {
      if (body?.messaging_product !== 'whatsapp') {
        return fail(400, {
          message: '(#100) The parameter messaging_product is required.',
          type: 'OAuthException',
          code: 100,
        });
      }
      if (body.status === 'read') return send(200, { success: true });
      const to = String(body.to ?? body.recipient ?? '');
      this.seq += 1;
      return send(200, {
        messaging_product: 'whatsapp',
        contacts: [{ input: to, wa_id: to.replace(/^\+/, '') }],
        messages: [{ id: `wamid.FAKE${String(this.seq).padStart(6, '0')}${randomBytes(4).toString('hex')}` }],
      });
    }
    if (req.method === 'POST' && phone && edge === 'media') {
      const file = this.lastUpload;
      if (!file || body?.messaging_product !== 'whatsapp') {
        return fail(400, {
          message: '(#100) Param file must be a file upload',
          type: 'OAuthException',
          code: 100,
        });
      }
      this.seq += 1;
      const mediaId = `9${String(this.seq).padStart(14, '0')}`;
      this.media.set(mediaId, file);
      return send(200, { id: mediaId });
    }
    const page = this.pages.get(id);
    if (page && page.token !== token) {
      return fail(400, {
        message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
        type: 'GraphMethodException',
        code: 100,
        error_subcode: 33,
      });
    }
    if (req.method === 'GET' && page && !edge) {
      return send(200, page.instagram ? { id, username: page.name } : { id, name: page.name });
    }
    if (req.method === 'POST' && page && edge === 'messages') {
      const recipient = (body?.recipient as { id?: string } | undefined)?.id;
      if (!recipient) {
        return fail(400, {
          message: '(#100) The parameter recipient is required',
          type: 'OAuthException',
          code: 100,
        });
      }
      if (body?.sender_action) return send(200, { recipient_id: recipient });
      if (!body?.message) {
        return fail(400, {
          message: '(#100) Param message must be non-empty',
          type: 'OAuthException',
          code: 100,
        });
      }
      this.seq += 1;
      return send(200, {
        recipient_id: recipient,
        message_id: `m_FAKE${String(this.seq).padStart(6, '0')}${randomBytes(4).toString('hex')}`,
      });
    }
    const m = this.media.get(id);
    if (req.method === 'GET' && m && !edge) {
      return send(200, {
        messaging_product: 'whatsapp',
        url: `${this.baseUrl}/media-download/${encodeURIComponent(id)}`,
        mime_type: m.mimeType,
        sha256: 'fake',
        file_size: m.bytes.length,
        id,
      });
    }
    return fail(400, {
      message: `Unsupported ${req.method?.toLowerCase()} request. Object with ID '${id}' does not exist`,
      type: 'GraphMethodException',
      code: 100,
      error_subcode: 33,
    });
  }

  private lastUpload: Media | null = null;

  private async parseBody(req: http.IncomingMessage, raw: Buffer): Promise<Record<string, unknown> | null> {
    this.lastUpload = null;
    const type = req.headers['content-type'] ?? '';
    if (!raw.length) return null;
    if (type.startsWith('application/json')) return JSON.parse(raw.toString('utf8'));
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
      const out: Record<string, unknown> = {};
      for (const [k, v] of form.entries()) {
        if (typeof v === 'string') out[k] = v;
        else {
          const bytes = Buffer.from(await v.arrayBuffer());
          out[k] = { fileName: v.name, size: bytes.length, contentType: v.type };
          this.lastUpload = { bytes, mimeType: v.type || 'application/octet-stream' };
        }
      }
      return out;
    }
    return { raw: raw.toString('utf8') };
  }

  private trace(): string {
    return randomBytes(12).toString('base64url');
  }
}
