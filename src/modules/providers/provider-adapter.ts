import type { Readable } from 'node:stream';
import type { EntityManager } from 'typeorm';
import type { InstanceEntity } from '../instances-core/instance.entity';
import type { NatsMapping } from './nats-mapping';
import type { OutboundMessage, ProviderCapabilities, SendResult } from './normalized';

/** Injection token under which every adapter is collected (ghostfolio's pattern, STYLE.md §3). */
export const PROVIDER_ADAPTERS = Symbol('PROVIDER_ADAPTERS');

export interface ConnectResult {
  status: 'connected' | 'connecting' | 'disconnected' | 'needs_reauth' | 'error';
  reason?: string;
  details?: Record<string, unknown>;
}

/**
 * What the API documents about a provider before the app boots: statics of every class in
 * PROVIDER_ADAPTER_CLASSES (the OpenAPI `provider` enum and the create-instance examples).
 */
export interface ProviderAdapterClass {
  /** Provider key, as the instance's `key`. */
  readonly key: string;
  /** `POST /api/instances` example without `provider`: `{name, config}`. */
  readonly createExample: { name: string; config: Record<string, unknown> };
}

/** A file received on our API to be uploaded to the provider (multipart `file`). */
export interface UploadFile {
  buffer: Buffer;
  mimeType: string;
  fileName?: string;
}

/** `POST /api/instances/:id/provider/raw`: a provider API call with the instance's credentials. */
export interface RawProviderRequest {
  method?: 'GET' | 'POST' | 'DELETE';
  /** Provider path relative to the API root; the adapter picks a default when absent. */
  path?: string;
  body?: Record<string, unknown>;
}

/**
 * One pacing bucket of async sends (POST …/messages with `Prefer: respond-async`, …/messages/batch):
 * per instance or per chat, the least gap between two sends through it, from the provider's
 * documented limits. `bucket` separates several buckets of one scope (e.g. Messenger's audio/video).
 */
export interface SendPacingRule {
  scope: 'instance' | 'chat';
  /** Least gap between two sends through this bucket, ms (the pacer adds a 5 % margin). */
  gapMs: number;
  bucket?: string;
}

/** A QR login in progress (capabilities.qrLogin; WhatsApp Web). */
export type QrLoginState =
  | { state: 'pending'; qrCode: string; attempt: number; expiresAt: Date }
  | { state: 'generating' }
  | { state: 'pairing_code'; pairingCode: string };

/** A contact as the provider's account lists it (the seeds' `{id, name, number, isGroup}`). */
export interface AccountContact {
  id: string;
  name: string | null;
  number: string;
  isGroup: boolean;
}

export interface MediaDownload {
  stream: Readable;
  contentType?: string;
  /** Bytes, when known. */
  size?: number;
  fileName?: string;
}

/**
 * One provider behind one interface. An adapter translates the normalized model to its wire
 * format and back and owns its provider-specific config table (1:1 with `instances`).
 * Errors: ProviderError carrying the provider's own code.
 */
export interface ProviderAdapter {
  /** Provider key as stored in `instances.provider`. */
  readonly key: string;
  /** Display name (`GET /stats` keys), e.g. `WhatsApp Official`; absent → the key. */
  readonly label?: string;
  /**
   * Whether a numeric contact id saved by hand (`contacts/save` `number`) is also the contact's
   * phone number (WhatsApp: the wa_id is the number). Absent → false.
   */
  readonly numericContactIdIsPhone?: boolean;
  readonly capabilities: ProviderCapabilities;
  /** class-validator DTO class for the `config` object given at instance creation. */
  readonly configDto: new () => object;

  /**
   * Checks the credentials with the provider and stores the provider config inside the caller's
   * transaction. Nothing is stored when the check fails.
   * @returns account facts for the activity log (e.g. bot username).
   * @throws ProviderError / UnprocessableError with a message that says what is wrong.
   */
  createConfig(
    manager: EntityManager,
    instance: InstanceEntity,
    config: object,
  ): Promise<Record<string, unknown>>;

  /**
   * The stored config with every secret masked, and `accountName`: the name people see the
   * account by (Telegram `@bot_username`, the WhatsApp verified name, the Page name), or null.
   */
  describeConfig(instance: InstanceEntity): Promise<Record<string, unknown>>;

  /** Starts receiving (e.g. setWebhook) and reports the resulting status. */
  connect(instance: InstanceEntity): Promise<ConnectResult>;

  /** Stops receiving; `logout` also drops the provider session where the provider has one. */
  disconnect(instance: InstanceEntity, opts: { logout: boolean }): Promise<void>;

  /**
   * Checks provider-specific shapes (recipient id format, message id formats) before anything is
   * written. @throws ValidationError naming the field.
   */
  validateOutbound(message: OutboundMessage): void;

  /**
   * Optional: I/O a synchronous send needs before anything is written (WhatsApp Web fetches media
   * by URL under the SSRF policy, or takes the uploaded file), so a refused or unreachable URL is
   * answered with a 4xx and leaves no message row. Queued sends do not call it: `send` must do
   * the same work itself when it gets the message unprepared.
   * @returns the message to hand to `send` (e.g. with `media.file` set).
   * @throws AppError 4xx naming the field (e.g. 422 `media_url_refused` on `media.url`).
   */
  prepareSend?(instance: InstanceEntity, message: OutboundMessage): Promise<OutboundMessage>;

  /** Sends one normalized message (ids in `replyTo`/`messageId` already resolved to provider ids). */
  send(instance: InstanceEntity, message: OutboundMessage): Promise<SendResult>;

  /** Drops whatever the adapter cached for the instance (credentials, routing); called when it is deleted. */
  forget(instanceId: string): void;

  /** Streams inbound media from the provider with the instance's credentials. */
  downloadMedia(instance: InstanceEntity, providerMediaId: string): Promise<MediaDownload>;

  /**
   * Optional: tells the provider an inbound message was read (WhatsApp `status: read`, Messenger
   * `mark_seen`). Absent → the API answers 422 naming the provider.
   * @param providerChatId the chat the message is in (sender-action providers need the recipient).
   */
  markRead?(instance: InstanceEntity, providerMessageId: string, providerChatId: string): Promise<void>;

  /**
   * Optional: the pacing buckets one async send passes through (the provider's documented limits,
   * PROVIDERS.md). Absent → not paced; a provider 429 is still retried at its Retry-After.
   */
  sendPacing?(send: { providerChatId: string; type: string }): SendPacingRule[];

  /** Optional: shows (`on`) or stops a typing indicator in a chat (Messenger `typing_on/off`). */
  typing?(instance: InstanceEntity, providerChatId: string, on: boolean): Promise<void>;

  /** Optional: uploads a file and returns the provider media id to send it by (capabilities.mediaUpload). */
  uploadMedia?(instance: InstanceEntity, file: UploadFile): Promise<string>;

  /** Optional (capabilities.qrLogin): the QR / pairing code waiting to be used, or `generating`. */
  qrState?(instance: InstanceEntity): Promise<QrLoginState>;

  /** Optional (qrLogin): a pairing code for `phoneNumber` instead of the QR. @returns `ABCD-EFGH`. */
  pairingCode?(instance: InstanceEntity, phoneNumber: string): Promise<string>;

  /** Optional: the account's own contact list as the provider keeps it (WhatsApp Web). */
  accountContacts?(instance: InstanceEntity): Promise<AccountContact[]>;

  /** Optional: checks `phone` with the provider and adds it to the account's contacts. */
  addAccountContact?(
    instance: InstanceEntity,
    phone: string,
    name?: string,
  ): Promise<{ id: string; number: string; name: string | null }>;

  /** Optional: copies the account's contacts into the gateway's contacts. @returns rows written. */
  importAccountContacts?(instance: InstanceEntity): Promise<number>;

  /** Optional: a raw provider API call with the instance's credentials; returns the provider's JSON. */
  rawRequest?(instance: InstanceEntity, req: RawProviderRequest): Promise<Record<string, unknown>>;

  /**
   * Optional: the provider's NATS subjects (README § NATS): its `<p>` token and how an archived
   * event splits into `.in.*` subjects. Absent → `<p>` is the key and only `.in.webhook` is published.
   */
  readonly nats?: NatsMapping;
}
