import { Inject, Logger } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager, FindOptionsWhere, Repository } from 'typeorm';
import { verifyHubSignature } from '../../../common/crypto/hub-signature';
import { maskSecret, SecretBox } from '../../../common/crypto/secret-box';
import { safeEqual, sha256Hex } from '../../../common/crypto/tokens';
import {
  ConflictError,
  ForbiddenError,
  ProviderError,
  UnauthorizedError,
  UnprocessableError,
  ValidationError,
} from '../../../common/errors/app-error';
import { AppConfig } from '../../../config/app-config';
import type { InstanceEntity } from '../../instances-core/instance.entity';
import type { InboundResult, OutboundMessage, ProviderCapabilities, SendResult } from '../normalized';
import { array, isObject, malformedItem, object, shapeCheck } from '../payload-shape';
import type { ConnectResult, MediaDownload, ProviderAdapter, RawProviderRequest } from '../provider-adapter';
import type { MetaConfigInput } from './meta-config-input';
import { metaWebhookRoutes } from './meta-webhook-docs';
import type {
  InboundHttpRequest,
  InboundItem,
  InboundWebhookResult,
  InboundWebhookSource,
  WebhookRoute,
  WebhookRouteDocs,
} from '../provider-seams';
import { GraphClient, GraphTarget } from './graph.client';

/** What every Meta adapter keeps per instance (decrypted, cached until `forget`). */
export interface MetaCredentials {
  instanceId: string;
  /** The account webhooks are routed by and the API is called on (phone_number_id, Page id, IG id). */
  accountId: string;
  token: string;
  /** App secrets a webhook signature may be made with (Instagram: its app secret and the Meta one). */
  appSecrets: string[];
  verifyToken: string;
  /** Graph version, e.g. `v23.0` (pinned, else GRAPH_API_VERSION). */
  version: string;
  /** Graph host of this instance (GRAPH_API_BASE_URL, or Instagram's for Instagram Login). */
  baseUrl: string;
}

/** Columns every Meta config table has (1:1 with `instances`, secrets as SecretBox ciphertext). */
export interface MetaConfigRow {
  instanceId: string;
  appSecretEnc: string;
  webhookVerifyTokenEnc: string;
  /** sha256 of the verify token: the shared-URL handshake finds the instance by it. */
  webhookVerifyTokenHash: string;
  version: string | null;
}

/** One normalized part of a webhook body, before it is tied to an instance. */
export type MetaItem = { providerEventId: string; payload: object; result: InboundResult };

/** A part of a shared-URL webhook body and the instance(s) it is for (empty → logged, dropped). */
export interface MetaRoutedPart {
  instanceIds: string[];
  items: MetaItem[];
  /** Logged when no instance has the part's account ids. */
  context: Record<string, unknown>;
}

/** A new instance's config, checked with Meta: its row and the facts for the activity log. */
export interface MetaNewConfig<R> {
  row: Partial<R>;
  facts: Record<string, unknown>;
  /** The 409 when the account is connected already. */
  conflict: ConflictError;
}

/** The envelope every Meta webhook has: an object with `entry[]`. */
const checkWebhook = shapeCheck(object({ entry: array({}) }, ['entry']));
const BAD_SIGNATURE = 'X-Hub-Signature-256 is missing or wrong';

/** What a Meta adapter says about itself. */
export interface MetaPlatform<R> {
  capabilities: ProviderCapabilities;
  /** class-validator DTO of `config` at instance creation. */
  configDto: new () => object;
  /** The config table's entity. */
  entity: new () => R;
  /** Name in messages, e.g. `Messenger`. */
  label: string;
  /** Display name (`GET /stats` keys), e.g. `Facebook Messenger`. */
  displayName: string;
  /** `POST /api/instances` example without `provider`. */
  createExample: { name: string; config: Record<string, unknown> };
  /** Webhook path under /webhooks/. */
  path: string;
  /**
   * The routing account id (`phoneNumberId`, `pageId`, `igId`): its `config` field, its column,
   * its key in connect details; a 422 for it has the code `invalid_<snake_case>`.
   */
  accountField: keyof R & string;
  /** The access token's `config` field (`accessToken`, `pageAccessToken`); stored as `<field>Enc`. */
  tokenField: string;
  /** What the 422 says when Meta refuses the token / the account at creation. */
  refused: { token: string; account: string };
  /** Items of one `entry[]` element (per-instance URL, and each routed part of the shared URL). */
  normalizeEntry(entry: unknown): MetaItem[];
  /** The normalized outbound message → the Graph body of `POST <messagesPath>`. */
  toSendBody(m: OutboundMessage): Record<string, unknown>;
}

/**
 * What the three Meta platforms (WhatsApp Cloud, Messenger, Instagram) share (PROVIDERS.md §2–4):
 * the Graph credentials cache and load, verify-token and account lookup, the
 * `X-Hub-Signature-256` check over the raw bytes, CDN media download, the token check at creation
 * and connect, and the inbound webhook (InboundWebhookSource): the `hub.challenge` handshake and
 * signed POSTs on the shared URL (each part routed by its account id, accepted only for instances
 * whose app secret made the signature) or per instance, and the Send-API defaults (send,
 * mark_seen, CDN media) that WhatsApp overrides. A subclass sets `static platform` (MetaPlatform:
 * capabilities, config DTO and entity, routing and token columns, normalizer, body mapper) and
 * implements `newConfig`, `describeRow` and `validateOutbound`; the others override what differs
 * (WhatsApp's per-change routing, Instagram's sender id and host).
 */
export abstract class MetaAdapter<R extends MetaConfigRow, C extends MetaCredentials = MetaCredentials>
  implements ProviderAdapter, InboundWebhookSource
{
  /** What the platform is: set by each subclass. */
  static readonly platform: Pick<MetaPlatform<MetaConfigRow>, 'path' | 'capabilities' | 'createExample'>;
  /** A numeric contact id saved by hand is taken as the phone number (as before the reshape). */
  readonly numericContactIdIsPhone = true;
  private static readonly routes = new Map<string, WebhookRouteDocs[]>();
  @InjectDataSource() private readonly db!: DataSource;
  @Inject(GraphClient) protected readonly graph!: GraphClient;
  @Inject(SecretBox) protected readonly secrets!: SecretBox;
  @Inject(AppConfig) protected readonly config!: AppConfig;
  protected readonly logger = new Logger(this.constructor.name);
  private readonly credentials = new Map<string, C>();
  private readonly byAccount = new Map<string, string>();

  /** The webhook routes with their OpenAPI docs (metaWebhookRoutes), read by the inbound module. */
  static get webhooks(): WebhookRouteDocs[] {
    const { path } = this.platform;
    if (!MetaAdapter.routes.has(path)) MetaAdapter.routes.set(path, metaWebhookRoutes(path));
    return MetaAdapter.routes.get(path)!;
  }

  /** Provider key (ProviderAdapterClass). */
  static get key(): string {
    return this.platform.capabilities.provider;
  }

  static get createExample(): MetaPlatform<MetaConfigRow>['createExample'] {
    return this.platform.createExample;
  }

  get label(): string {
    return this.meta.displayName;
  }

  /** The platform's config table. */
  protected get repo(): Repository<R> {
    return this.db.getRepository(this.meta.entity);
  }

  protected get meta(): MetaPlatform<R> {
    return (this.constructor as unknown as { platform: MetaPlatform<R> }).platform;
  }

  get configDto(): new () => object {
    return this.meta.configDto;
  }

  /** Provider key as stored in `instances.provider`. */
  get key(): string {
    return this.meta.capabilities.provider;
  }

  get capabilities(): ProviderCapabilities {
    return this.meta.capabilities;
  }

  get webhookRoutes(): ReadonlyArray<WebhookRoute> {
    return (this.constructor as typeof MetaAdapter).webhooks;
  }

  abstract validateOutbound(message: OutboundMessage): void;

  /** Checks a new instance's credentials with Meta (checkAccount): its row beyond the common columns. */
  protected abstract newConfig(config: object): Promise<MetaNewConfig<R>>;

  /**
   * Checks the credentials with Meta, then stores the config (secrets encrypted) in the caller's
   * transaction. @throws UnprocessableError (422) naming the field Meta refused; ConflictError (409)
   * when the account is connected already.
   */
  async createConfig(
    manager: EntityManager,
    instance: InstanceEntity,
    config: object,
  ): Promise<Record<string, unknown>> {
    const c = config as MetaConfigInput;
    const { row, facts, conflict } = await this.newConfig(config);
    try {
      await manager.insert(this.meta.entity, {
        ...row,
        instanceId: instance.id,
        appSecretEnc: this.secrets.encrypt(c.appSecret),
        webhookVerifyTokenEnc: this.secrets.encrypt(c.webhookVerifyToken),
        webhookVerifyTokenHash: sha256Hex(c.webhookVerifyToken),
        version: c.version ?? null,
      } as never);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw conflict;
      throw err;
    }
    return facts;
  }

  /** Platform facts of the stored config (ids, names), without secrets. */
  protected abstract describeRow(row: R): Record<string, unknown>;

  /**
   * The stored config with every secret masked: the platform's facts (describeRow), `version`,
   * the access token (under its config name), `appSecret`, `webhookVerifyToken`, `webhookUrl`.
   */
  async describeConfig(instance: InstanceEntity): Promise<Record<string, unknown>> {
    const row = await this.repo.findOne({ where: { instanceId: instance.id } as FindOptionsWhere<R> });
    if (!row) return {};
    const { tokenField } = this.meta;
    return {
      ...this.describeRow(row),
      version: row.version ?? this.config.graph.version,
      [tokenField]: maskSecret(this.secrets.decrypt(row[`${this.meta.tokenField}Enc` as keyof R] as string)),
      appSecret: maskSecret(this.secrets.decrypt(row.appSecretEnc)),
      webhookVerifyToken: maskSecret(this.secrets.decrypt(row.webhookVerifyTokenEnc)),
      webhookUrl: this.config.publicBaseUrl
        ? `${this.config.publicBaseUrl}/webhooks/${this.meta.path}`
        : null,
    };
  }

  /** Credentials beyond what every Meta row has (Instagram: login, sender id, host, Meta app secret). */
  protected moreCredentials(_row: R): Partial<C> {
    return {};
  }

  /** Connect details for the activity log: `{<accountField>: accountId}`. */
  protected connectDetails(creds: C): Record<string, unknown> {
    return { [this.meta.accountField]: creds.accountId };
  }

  /** Shared URL: the parts of one `entry[]` element with their instance(s); by default by `entry.id`. */
  protected routeEntry(entry: unknown): Promise<MetaRoutedPart[]> {
    return this.routeByEntryId(entry, this.meta.normalizeEntry(entry));
  }

  /**
   * Send-API platforms (Messenger, Instagram): `POST <messagesPath>` → `message_id`; reactions
   * answer only `recipient_id`, so they get a synthetic id. @throws ProviderError (502) without an id.
   */
  async send(instance: InstanceEntity, m: OutboundMessage): Promise<SendResult> {
    const res = await this.postMessage<{ recipient_id?: string; message_id?: string }>(
      instance,
      this.meta.toSendBody(m),
    );
    const id =
      res.message_id ?? (m.type === 'reaction' ? `reaction:${m.messageId}:${Date.now()}` : undefined);
    if (!id) throw this.missing(`${this.meta.label} accepted the message without returning its id`);
    return {
      providerMessageId: id,
      providerChatId: res.recipient_id ?? m.to,
      timestamp: new Date(),
      raw: res as Record<string, unknown>,
    };
  }

  /** Send-API platforms: `sender_action: mark_seen` to the person the chat is with. */
  async markRead(
    instance: InstanceEntity,
    _providerMessageId: string,
    providerChatId: string,
  ): Promise<void> {
    await this.senderAction(instance, providerChatId, 'mark_seen');
  }

  /**
   * Send-API platforms: inbound attachments carry a CDN URL as their media id, streamed from there.
   * @throws UnprocessableError (422 `media_unavailable`) for an id that is no URL.
   */
  async downloadMedia(instance: InstanceEntity, providerMediaId: string): Promise<MediaDownload> {
    if (!/^https?:\/\//.test(providerMediaId)) {
      throw new UnprocessableError(
        'media_unavailable',
        `This ${this.meta.label} attachment has no downloadable URL`,
        { provider: this.key },
      );
    }
    const creds = await this.load(instance.id);
    return this.graph.download(this.targetOf(creds), providerMediaId);
  }

  /** Re-checks the token on the account; a token error (190) → `needs_reauth`. */
  async connect(instance: InstanceEntity): Promise<ConnectResult> {
    const creds = await this.load(instance.id);
    try {
      await this.graph.call(this.targetOf(creds), { path: `/${creds.accountId}`, query: { fields: 'id' } });
      return { status: 'connected', details: this.connectDetails(creds) };
    } catch (err) {
      if (err instanceof ProviderError && err.code === 'provider_unauthorized') {
        return { status: 'needs_reauth', reason: err.message };
      }
      if (err instanceof ProviderError) return { status: 'error', reason: err.message };
      throw err;
    }
  }

  /** Nothing to stop: the webhook subscription lives in the Meta app, not per instance. */
  async disconnect(): Promise<void> {}

  /** Drops cached credentials and routing (instance deleted). */
  forget(instanceId: string): void {
    const creds = this.credentials.get(instanceId);
    if (creds) this.byAccount.delete(creds.accountId);
    this.credentials.delete(instanceId);
  }

  /** Instance id whose verify token equals `token` (of `instanceId` when given), else null. */
  async instanceForVerifyToken(token: string, instanceId?: string): Promise<string | null> {
    if (instanceId) {
      const creds = await this.load(instanceId).catch(() => null);
      return creds && safeEqual(token, creds.verifyToken) ? instanceId : null;
    }
    const row = await this.repo.findOne({
      where: { webhookVerifyTokenHash: sha256Hex(token) } as FindOptionsWhere<R>,
      select: { instanceId: true } as never,
    });
    return row?.instanceId ?? null;
  }

  /** Instance of a routing account id (phone_number_id, Page id, IG id), else null; cached. */
  async instanceForAccount(accountId: string): Promise<string | null> {
    const cached = this.byAccount.get(accountId);
    if (cached) return cached;
    const row = await this.repo.findOne({
      where: { [this.meta.accountField]: accountId } as FindOptionsWhere<R>,
      select: { instanceId: true } as never,
    });
    if (row) this.byAccount.set(accountId, row.instanceId);
    return row?.instanceId ?? null;
  }

  /** Whether `X-Hub-Signature-256` over `rawBody` was made with one of this instance's app secrets. */
  async verifySignature(instanceId: string, rawBody: Buffer, header: string | undefined): Promise<boolean> {
    const creds = await this.load(instanceId).catch(() => null);
    return !!creds && verifyHubSignature(creds.appSecrets, rawBody, header);
  }

  /**
   * `hub.mode=subscribe` and a `hub.verify_token` of an instance (of `:instanceId` when given)
   * → the challenge to echo. @throws ForbiddenError (403) otherwise.
   */
  async handshake(req: InboundHttpRequest): Promise<string> {
    const q = (name: string) =>
      typeof req.query[name] === 'string' ? (req.query[name] as string) : undefined;
    const [mode, token, challenge] = [q('hub.mode'), q('hub.verify_token'), q('hub.challenge')];
    if (mode !== 'subscribe' || !token || challenge === undefined) {
      throw new ForbiddenError('hub.mode must be subscribe with hub.verify_token and hub.challenge');
    }
    const { instanceId } = req;
    if (instanceId !== undefined && !isUUID(instanceId)) throw new ForbiddenError('Unknown verify token');
    if (!(await this.instanceForVerifyToken(token, instanceId))) {
      throw new ForbiddenError(`hub.verify_token does not match any ${this.meta.label} instance`);
    }
    return challenge;
  }

  /**
   * A verified body whose parts don't fit the platform's shapes (`statuses: 12345`, an entry that
   * is a string, no `entry[]` at all on the instance URL) is archived and counted as skipped with
   * a `malformed_payload:` reason: Meta gets its 200 and stops retrying.
   * @throws UnauthorizedError (401) when no addressed instance's app secret made the signature
   *   (on the shared URL, also for a body that names no instance to check it with);
   *   ValidationError (400) for a body that is not JSON.
   */
  async receive(req: InboundHttpRequest): Promise<InboundWebhookResult> {
    const { rawBody: raw, instanceId } = req;
    const signature = header(req, 'x-hub-signature-256');
    if (!raw) throw new ValidationError('Expected an application/json body');
    if (instanceId !== undefined) {
      if (!isUUID(instanceId) || !(await this.verifySignature(instanceId, raw, signature))) {
        throw new UnauthorizedError(BAD_SIGNATURE);
      }
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      if (instanceId) throw new ValidationError('Body is not JSON');
      throw new UnauthorizedError(BAD_SIGNATURE);
    }
    const bad = checkWebhook(body);
    if (bad && !instanceId) throw new UnauthorizedError(BAD_SIGNATURE);
    const entries = bad ? [] : (body as { entry: unknown[] }).entry;
    const routed = instanceId
      ? (bad ? [[malformedItem(body, bad)]] : entries.map((e) => this.meta.normalizeEntry(e))).map(
          (items) => ({
            instanceId,
            items,
          }),
        )
      : await this.route(entries, raw, signature);
    const instance = (id: string) => ({ id, provider: this.key });
    return {
      items: routed.flatMap(({ instanceId: id, items }) =>
        items.map((item): InboundItem => ({ instance: instance(id), ...item })),
      ),
    };
  }

  /** Shared URL: each part → its instance(s); only instances the signature verifies for. */
  private async route(
    entries: unknown[],
    raw: Buffer,
    signature: string | undefined,
  ): Promise<{ instanceId: string; items: MetaItem[] }[]> {
    const wanted: { instanceId: string; items: MetaItem[] }[] = [];
    for (const entry of entries) {
      for (const part of await this.routeEntry(entry)) {
        if (part.instanceIds.length === 0) this.logger.warn(part.context, 'webhook entry for no instance');
        for (const id of part.instanceIds) wanted.push({ instanceId: id, items: part.items });
      }
    }
    const verified = new Map<string, boolean>();
    for (const id of new Set(wanted.map((w) => w.instanceId))) {
      verified.set(id, await this.verifySignature(id, raw, signature));
    }
    if (![...verified.values()].some(Boolean)) throw new UnauthorizedError(BAD_SIGNATURE);
    for (const [id, ok] of verified) {
      if (!ok)
        this.logger.warn({ instanceId: id }, 'webhook signature not made with this instance’s app secret');
    }
    return wanted.filter((w) => verified.get(w.instanceId));
  }

  /** A Send-API platform's entry (Messenger, Instagram): routed by `entry.id` (Page id, IG account id). */
  protected async routeByEntryId(entry: unknown, items: MetaItem[]): Promise<MetaRoutedPart[]> {
    const accountId = isObject(entry) ? entry.id : undefined;
    const id =
      typeof accountId === 'string' || typeof accountId === 'number'
        ? await this.instanceForAccount(String(accountId))
        : null;
    return [{ instanceIds: id ? [id] : [], items, context: { accountId } }];
  }

  /** The connector's `out.raw`: default `POST <messagesPath>` with `body`. */
  async rawRequest(instance: InstanceEntity, req: RawProviderRequest): Promise<Record<string, unknown>> {
    const creds = await this.load(instance.id);
    return this.graph.raw(this.targetOf(creds), req, this.messagesPath(creds));
  }

  /** The edge messages are sent on: `/<accountId>/messages`. */
  protected messagesPath(creds: C): string {
    return `/${creds.accountId}/messages`;
  }

  /** `POST <messagesPath>` with `json`: the Graph answer. */
  protected async postMessage<T>(instance: InstanceEntity, json: Record<string, unknown>): Promise<T> {
    const creds = await this.load(instance.id);
    return this.graph.call<T>(this.targetOf(creds), { path: this.messagesPath(creds), json });
  }

  /** A Send-API sender action without a message (`mark_seen`, `typing_on`, `typing_off`). */
  protected async senderAction(instance: InstanceEntity, to: string, action: string): Promise<void> {
    await this.postMessage(instance, { recipient: { id: to }, sender_action: action });
  }

  /** Graph target of the instance's credentials. */
  protected targetOf(creds: C): GraphTarget {
    return this.target(creds.token, creds.version, creds.baseUrl);
  }

  protected target(token: string, version?: string | null, baseUrl?: string): GraphTarget {
    return {
      provider: this.key,
      baseUrl: baseUrl ?? this.config.graph.baseUrl,
      version: version ?? this.config.graph.version,
      token,
    };
  }

  /** The instance's credentials, decrypted once and cached. @throws UnprocessableError when none. */
  protected async load(instanceId: string): Promise<C> {
    const cached = this.credentials.get(instanceId);
    if (cached) return cached;
    const row = await this.repo.findOne({ where: { instanceId } as FindOptionsWhere<R> });
    if (!row) {
      throw new UnprocessableError(
        'provider_config_missing',
        `Instance ${instanceId} has no ${this.meta.label} configuration`,
      );
    }
    const creds = {
      instanceId,
      verifyToken: this.secrets.decrypt(row.webhookVerifyTokenEnc),
      version: row.version ?? this.config.graph.version,
      baseUrl: this.config.graph.baseUrl,
      accountId: row[this.meta.accountField] as string,
      token: this.secrets.decrypt(row[`${this.meta.tokenField}Enc` as keyof R] as string),
      appSecrets: [this.secrets.decrypt(row.appSecretEnc)],
      ...this.moreCredentials(row),
    } as C;
    this.credentials.set(instanceId, creds);
    return creds;
  }

  /**
   * `GET /<account id>?fields=…` with a new instance's token (its `config` fields `accountField`,
   * `tokenField`, `version`; on `baseUrl` when given): proves both.
   * @throws UnprocessableError (422) naming the config field Meta refused.
   */
  protected async checkAccount<T>(config: object, fields: string, baseUrl?: string): Promise<T> {
    const c = config as Record<string, string | undefined> & MetaConfigInput;
    const target = this.target(c[this.meta.tokenField] ?? '', c.version, baseUrl);
    try {
      return await this.graph.call<T>(target, { path: `/${c[this.meta.accountField]}`, query: { fields } });
    } catch (err) {
      throw this.configError(err);
    }
  }

  /** The 502 for a Graph answer without the id it should have had. */
  protected missing(what: string): ProviderError {
    return new ProviderError(502, 'provider_error', what, this.key, undefined, undefined);
  }

  /** A failed credential check at creation → 422 naming the config field. */
  private configError(err: unknown): unknown {
    if (!(err instanceof ProviderError)) return err;
    const { refused, tokenField, accountField } = this.meta;
    const detail = { provider: this.key, providerCode: err.providerCode };
    if (err.code === 'provider_unauthorized') {
      const field = `config.${tokenField}`;
      return new UnprocessableError(
        'invalid_access_token',
        `${refused.token} (Graph code ${err.providerCode}); check ${field}`,
        { ...detail, errors: [{ field, message: 'rejected by Meta' }] },
      );
    }
    if (err.status === 400 || err.code === 'provider_permission_denied') {
      const field = `config.${accountField}`;
      return new UnprocessableError(
        `invalid_${accountField.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`,
        `${refused.account} (${err.providerDescription}); check ${field}`,
        { ...detail, errors: [{ field, message: 'not accessible with this token' }] },
      );
    }
    return err;
  }
}

/** A request header's single value. */
function header(req: InboundHttpRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
