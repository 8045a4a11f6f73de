import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsOptional, Matches } from 'class-validator';
import { DataSource, EntityManager } from 'typeorm';
import { AppError, UnprocessableError, ValidationError } from '../../../common/errors/app-error';
import type { InstanceEntity } from '../../instances-core/instance.entity';
import type { OutboundMessage, ProviderCapabilities, SendResult } from '../normalized';
import { AddressPolicy } from '../../../common/http/address-policy';
import { MediaFetcher, MediaFetchError } from '../../../common/http/media-fetcher';
import { AppConfig } from '../../../config/app-config';
import type {
  ConnectResult,
  MediaDownload,
  ProviderAdapter,
  SendPacingRule,
  UploadFile,
} from '../provider-adapter';
import { PendingUploads } from '../pending-uploads';
import type { ConnectionSource, ProviderConnection } from '../provider-seams';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import type { EngineOutbound, RawKey, RawWAMessage } from './engine';
import { normalizeJid, phoneOf } from './engine';
import { toEngineContent, toJid } from './whatsapp-web.mapper';
import { toNumber, WHATSAPP_WEB } from './whatsapp-web.normalizer';
import { WhatsAppWebConnection } from './whatsapp-web.connection';
import { WhatsAppWebInstanceEntity } from './whatsapp-web-instance.entity';
import { QrState, WhatsAppWebService } from './whatsapp-web.service';

/** `config` of a WhatsApp Web instance: `{}` links by QR; `phoneNumber` links by pairing code. */
export class WhatsAppWebConfigDto {
  /**
   * Link by pairing code instead of QR: the account's number, digits with country code (no `+`).
   * @example 79001234567
   */
  @IsOptional()
  @Matches(/^\d{6,15}$/, { message: 'phoneNumber must be digits with country code, e.g. 79001234567' })
  phoneNumber?: string;
}

const CAPABILITIES: ProviderCapabilities = {
  provider: WHATSAPP_WEB,
  types: [
    'text',
    'image',
    'video',
    'audio',
    'voice',
    'document',
    'sticker',
    'location',
    'contacts',
    'reaction',
  ],
  textMaxLength: 65536,
  captionMaxLength: 1024,
  mediaByUrl: true,
  mediaByProviderId: false,
  mediaUpload: true,
  reactions: true,
  readReceipts: true,
  deliveryReceipts: true,
  maxContactsPerMessage: 10,
  qrLogin: true,
  inbound: ['gateway'],
};

/** Types whose bytes the gateway hands to Baileys (fetched from `media.url` or uploaded). */
const MEDIA_TYPES: ReadonlySet<string> = new Set(['image', 'video', 'audio', 'voice', 'document', 'sticker']);

/**
 * WhatsApp Web, a phone linked as a companion device by QR or pairing code, on Baileys
 * (providers/whatsapp-web.md). The socket lives in a worker through the connection runtime
 * (ConnectionSource); sends, reads, typing and media go through the socket this process holds.
 * Outbound media reaches Baileys as bytes only: by URL it is fetched by the gateway (MediaFetcher,
 * the client-webhook SSRF policy checked on the address dialled, ≤ WHATSAPP_WEB_MEDIA_MAX_BYTES,
 * 30 s), uploaded files wait under `upload:<uuid>` (PendingUploads) for the send that follows.
 */
@Injectable()
export class WhatsAppWebAdapter implements ProviderAdapter, ConnectionSource {
  static readonly key = WHATSAPP_WEB;
  static readonly createExample = { name: 'Sales phone', config: {} };
  /** No provider webhooks: WhatsApp Web arrives over the socket (ConnectionSource). */
  static readonly webhooks: ReadonlyArray<never> = [];
  readonly key = WHATSAPP_WEB;
  readonly capabilities = CAPABILITIES;
  readonly configDto = WhatsAppWebConfigDto;

  /** Files of POST …/messages/upload, until the send that follows takes them. */
  private readonly uploads = new PendingUploads(WHATSAPP_WEB, 'WhatsApp Web');
  private readonly addressPolicy: AddressPolicy;

  constructor(
    private readonly svc: WhatsAppWebService,
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly media: MediaFetcher,
  ) {
    this.addressPolicy = new AddressPolicy(config.webhooks.allowedNetworks);
  }

  /**
   * Async sends: WHATSAPP_WEB_SEND_GAP_MS (default 1 s) between two messages to one chat —
   * WhatsApp bans bursts from linked devices (PROVIDERS.md WhatsApp Web; README "WhatsApp Web").
   */
  sendPacing(): SendPacingRule[] {
    return [{ scope: 'chat', gapMs: this.config.whatsappWeb.sendGapMs }];
  }

  async createConfig(
    manager: EntityManager,
    instance: InstanceEntity,
    raw: object,
  ): Promise<Record<string, unknown>> {
    const { phoneNumber } = raw as WhatsAppWebConfigDto;
    await manager.insert(WhatsAppWebInstanceEntity, {
      instanceId: instance.id,
      pairingPhone: phoneNumber ?? null,
    });
    return { login: phoneNumber ? 'pairing_code' : 'qr' };
  }

  async describeConfig(instance: InstanceEntity): Promise<Record<string, unknown>> {
    const row = await this.db
      .getRepository(WhatsAppWebInstanceEntity)
      .findOne({ where: { instanceId: instance.id } });
    if (!row) return {};
    return {
      login: row.pairingPhone ? 'pairing_code' : 'qr',
      phoneNumber: row.pairingPhone,
      accountJid: row.meJid,
      accountLid: row.meLid,
      accountName: row.meName ?? phoneOf(row.meJid ?? undefined) ?? null,
      linkedAt: row.linkedAt,
    };
  }

  /**
   * The runtime opens the socket for every instance in `connecting`/`connected`; a running socket
   * of this process is restarted (POST …/reconnect: a fresh QR cycle when unpaired).
   */
  async connect(instance: InstanceEntity): Promise<ConnectResult> {
    this.svc.sessions.get(instance.id)?.restart();
    const registered = await this.svc.authStore(instance.id).registered();
    return {
      status: 'connecting',
      reason: registered ? 'reconnecting the linked device' : 'waiting for the QR code to be scanned',
    };
  }

  /**
   * `logout`: unlinks the device on the phone (when this process holds the socket) and wipes the
   * auth state; the instance needs a new QR. Without logout the socket just closes.
   */
  async disconnect(instance: InstanceEntity, opts: { logout: boolean }): Promise<void> {
    const session = this.svc.sessions.get(instance.id);
    if (session) await session.engine.stop({ logout: opts.logout }).catch(() => undefined);
    // the socket is held by another process: unlink it there (the runtime stops it anyway)
    else if (opts.logout) await this.svc.remote.call(instance.id, { op: 'logout' }).catch(() => undefined);
    if (opts.logout) {
      await this.svc.authStore(instance.id).clear();
      await this.svc.clearLogin(instance.id, true);
    }
  }

  /**
   * @throws ValidationError (400) for a bad `to`, or a `media.providerMediaId` that is no upload;
   *   UnprocessableError (422) `media_url_refused` for a `media.url` whose host is a literal
   *   address the SSRF policy refuses (names are checked when the gateway dials them).
   */
  validateOutbound(m: OutboundMessage): void {
    toJid(m.to);
    const host = m.media?.url ? hostOf(m.media.url) : null;
    if (host && isIP(host) && !this.addressPolicy.isAllowed(host))
      throw mediaUrlError(new MediaFetchError('refused', `points at a blocked address (${host})`));
    const id = m.media?.providerMediaId;
    if (id && !PendingUploads.isUploadId(id))
      throw new ValidationError('WhatsApp Web has no media ids to send by: send by url or upload the file', [
        { field: 'media.providerMediaId', message: 'use media.url or POST …/messages/upload' },
      ]);
  }

  /**
   * Files kept in this process under `upload:<uuid>` (10 minutes at most) for the send that
   * follows (POST …/messages/upload sends at once, in the same process).
   */
  async uploadMedia(_instance: InstanceEntity, file: UploadFile): Promise<string> {
    return this.uploads.put(file);
  }

  /**
   * A synchronous send's media in hand before anything is stored: `media.url` fetched under the
   * SSRF policy, or the uploaded file taken. @returns the message with `media.file` set.
   * @throws UnprocessableError 422 naming `media.url` (`media_url_refused`, `media_fetch_failed`
   *   with the URL's HTTP status, `media_too_large`) or `media.providerMediaId` (`upload_expired`).
   */
  async prepareSend(_instance: InstanceEntity, m: OutboundMessage): Promise<OutboundMessage> {
    if (!m.media || m.media.file || !MEDIA_TYPES.has(m.type)) return m;
    return { ...m, media: { ...m.media, file: await this.mediaFile(m) } };
  }

  /** Queued sends come unprepared: their media is fetched (or taken) here, with the same errors. */
  async send(instance: InstanceEntity, m: OutboundMessage): Promise<SendResult> {
    const jid = toJid(m.to);
    const quoted = m.replyTo ? await this.storedRaw(instance.id, m.replyTo) : undefined;
    let content: EngineOutbound;
    if (m.type === 'reaction') {
      const target = (await this.storedRaw(instance.id, m.messageId ?? ''))?.key ?? {
        remoteJid: jid,
        fromMe: false,
        id: m.messageId,
      };
      content = { react: { text: m.emoji ?? '', key: target as RawKey } };
    } else {
      content = toEngineContent(m, MEDIA_TYPES.has(m.type) ? await this.mediaFile(m) : undefined);
    }
    const sent = (await this.svc.exec(instance, {
      op: 'send',
      jid,
      content,
      ...(quoted ? { quoted } : {}),
    })) as RawWAMessage;
    const ts = toNumber(sent.messageTimestamp);
    return {
      providerMessageId: sent.key.id!,
      providerChatId: normalizeJid(sent.key.remoteJid) ?? jid,
      timestamp: ts ? new Date(ts * 1000) : new Date(),
      raw: sent as unknown as Record<string, unknown>,
    };
  }

  forget(instanceId: string): void {
    void this.svc.sessions.get(instanceId)?.engine.stop({ logout: false });
  }

  async downloadMedia(instance: InstanceEntity, providerMediaId: string): Promise<MediaDownload> {
    const raw = await this.storedRaw(instance.id, providerMediaId);
    if (!raw)
      throw new UnprocessableError('media_not_found', `No stored WhatsApp message ${providerMediaId}`);
    const media = mediaFields(raw);
    const stream = (await this.svc.exec(instance, { op: 'download', raw })) as Readable;
    return {
      stream,
      ...(media?.mimetype ? { contentType: media.mimetype } : {}),
      ...(toNumber(media?.fileLength) !== undefined ? { size: toNumber(media?.fileLength) } : {}),
      ...(media?.fileName ? { fileName: media.fileName } : {}),
    };
  }

  async markRead(instance: InstanceEntity, providerMessageId: string, providerChatId: string): Promise<void> {
    const raw = await this.storedRaw(instance.id, providerMessageId);
    const key: RawKey = raw?.key ?? {
      remoteJid: toJid(providerChatId, 'chatId'),
      id: providerMessageId,
      fromMe: false,
    };
    await this.svc.exec(instance, { op: 'markRead', keys: [key] });
  }

  async typing(instance: InstanceEntity, providerChatId: string, on: boolean): Promise<void> {
    await this.svc.exec(instance, {
      op: 'presence',
      jid: toJid(providerChatId, 'chatId'),
      presence: on ? 'composing' : 'paused',
    });
  }

  // ---- ConnectionSource ----

  async connectionTargets(): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT i.id FROM instances i JOIN whatsapp_web_instances w ON w.instance_id = i.id
        WHERE i.provider = $1 AND i.status IN ('connecting', 'connected', 'waiting_for_qr')`,
      [WHATSAPP_WEB],
    );
    return rows.map((r) => r.id);
  }

  openConnection(instance: InstanceEntity): ProviderConnection {
    return {
      run: async (ctx) => {
        const row = await this.db
          .getRepository(WhatsAppWebInstanceEntity)
          .findOne({ where: { instanceId: instance.id } });
        return new WhatsAppWebConnection(instance, this.svc, { pairingPhone: row?.pairingPhone }).run(ctx);
      },
    };
  }

  // ---- QR login and WhatsApp's contacts (capabilities.qrLogin) ----

  qrState(instance: InstanceEntity): Promise<QrState> {
    return this.svc.qrState(instance.id);
  }

  /**
   * A pairing code for `phoneNumber` (digits with country code) instead of the QR, from the
   * socket this process holds while it waits for a scan. @returns `ABCD-EFGH`.
   */
  async pairingCode(instance: InstanceEntity, phoneNumber: string): Promise<string> {
    const code = (await this.svc.exec(instance, { op: 'pairingCode', phone: phoneNumber }).catch((err) => {
      if (err instanceof AppError && err.code === 'instance_not_connected')
        throw new AppError(
          409,
          'not_waiting_for_login',
          `WhatsApp Web instance ${instance.id} has no socket waiting for a QR scan (${instance.status}); POST …/reconnect first`,
        );
      throw err;
    })) as string;
    await this.svc.pairingCodeIssued(instance.id, code);
    return code;
  }

  accountContacts(instance: InstanceEntity) {
    return this.svc.accountContacts(instance.id);
  }

  /** Checks `phone` with WhatsApp (`onWhatsApp`) and keeps it among the account's contacts. */
  async addAccountContact(instance: InstanceEntity, phone: string, name?: string) {
    const jid = toJid(phone, 'phone');
    const digits = jid.split('@')[0];
    const [found] = (await this.svc.exec(instance, { op: 'lookup', phones: [digits] })) as {
      jid: string;
      exists: boolean;
    }[];
    if (!found?.exists) {
      throw new UnprocessableError('not_on_whatsapp', `${digits} is not on WhatsApp`, {
        provider: WHATSAPP_WEB,
        errors: [{ field: 'phone', message: 'not on WhatsApp' }],
      });
    }
    const contactJid = normalizeJid(found.jid) ?? jid;
    await this.svc.upsertContacts(instance.id, [{ id: contactJid, ...(name ? { name } : {}) }]);
    return { id: contactJid, number: contactJid.split('@')[0], name: name ?? null };
  }

  importAccountContacts(instance: InstanceEntity): Promise<number> {
    return this.svc.importContacts(instance.id);
  }

  /** The media's bytes: already in hand, an upload of this process, or fetched from `media.url`. */
  private async mediaFile(m: OutboundMessage): Promise<UploadFile | undefined> {
    const media = m.media;
    if (!media) return undefined;
    if (media.file) return media.file;
    if (media.providerMediaId) return this.uploads.take(media.providerMediaId);
    if (!media.url) return undefined;
    try {
      return await this.media.fetch(media.url, { maxBytes: this.config.whatsappWeb.mediaMaxBytes });
    } catch (err) {
      if (err instanceof MediaFetchError) throw mediaUrlError(err, this.config.whatsappWeb.mediaMaxBytes);
      throw err;
    }
  }

  private async storedRaw(instanceId: string, providerMessageId: string): Promise<RawWAMessage | undefined> {
    if (!providerMessageId) return undefined;
    const [row] = await this.db.query(
      `SELECT raw FROM messages WHERE instance_id = $1 AND (provider_message_id = $2 OR id::text = $2) LIMIT 1`,
      [instanceId, providerMessageId],
    );
    const raw = row?.raw as RawWAMessage | undefined;
    return raw?.key ? raw : undefined;
  }
}

function mediaFields(
  raw: RawWAMessage,
): { mimetype?: string; fileLength?: unknown; fileName?: string } | undefined {
  const m = (raw.message ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const inner =
    (m.documentWithCaptionMessage as { message?: Record<string, unknown> } | undefined)?.message ??
    (m.viewOnceMessageV2 as { message?: Record<string, unknown> } | undefined)?.message ??
    (m.ephemeralMessage as { message?: Record<string, unknown> } | undefined)?.message ??
    m;
  for (const k of ['imageMessage', 'videoMessage', 'audioMessage', 'documentMessage', 'stickerMessage']) {
    const v = (inner as Record<string, unknown>)[k];
    if (v) return v as { mimetype?: string; fileLength?: unknown; fileName?: string };
  }
  return undefined;
}

/**
 * A media URL the gateway could not fetch → 422 naming `media.url`: `media_url_refused` (SSRF
 * policy), `media_too_large`, else `media_fetch_failed` (with `mediaStatus`, the URL's HTTP status).
 */
function mediaUrlError(err: MediaFetchError, maxBytes?: number): UnprocessableError {
  const why =
    err.reason === 'refused'
      ? `${err.message}; private, loopback and link-local networks are refused (WEBHOOK_ALLOWED_NETWORKS opens some)`
      : err.reason === 'too_large'
        ? `${err.message} (WHATSAPP_WEB_MEDIA_MAX_BYTES${maxBytes ? ` = ${maxBytes}` : ''})`
        : err.message;
  const code =
    err.reason === 'refused'
      ? 'media_url_refused'
      : err.reason === 'too_large'
        ? 'media_too_large'
        : 'media_fetch_failed';
  return new UnprocessableError(code, `media.url ${why}`, {
    provider: WHATSAPP_WEB,
    ...(err.status ? { mediaStatus: err.status } : {}),
    errors: [{ field: 'media.url', message: why }],
  });
}

/** The host of a URL without IPv6 brackets, or null when it is not a URL. */
function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return null;
  }
}
