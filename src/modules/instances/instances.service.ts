import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { LRUCache } from 'lru-cache';
import { DataSource, Repository } from 'typeorm';
import { isAdmin, Principal } from '../../common/auth/principal';
import { maskSecret, SecretBox } from '../../common/crypto/secret-box';
import { generateWebhookSecret } from '../../common/crypto/tokens';
import {
  ConflictError,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '../../common/errors/app-error';
import { slugFromName } from '../nats/slug';
import { flattenValidationErrors } from '../../common/errors/validation-exception.factory';
import { PageQuery, paginate } from '../../common/pagination/pagination';
import { ProviderRegistry } from '../providers/provider-registry';
import type { ConnectResult, QrLoginState } from '../providers/provider-adapter';
import { EventsService } from '../webhooks/events.service';
import { WebhookHttpClient } from '../../common/http/webhook-http-client';
import { ActivityService } from './activity.service';
import { findOwnedInstance } from './instance-access';
import { InstanceEntity } from '../instances-core/instance.entity';
import type { CreateInstanceDto, UpdateInstanceDto, WebhookSettingsDto } from './instances.dto';

/** Headers our deliveries set themselves; custom headers may not override them. */
const RESERVED_HEADERS = /^(content-type|content-length|host|user-agent|webhook-.*|x-webhook-.*)$/i;

/** Instance as the API shows it (the seeds' shape); secrets masked, config only on GET one. */
export function toInstanceView(i: InstanceEntity, secret: string | null) {
  return {
    id: i.id,
    name: i.name,
    slug: i.slug,
    description: i.description,
    provider: i.provider,
    userId: i.userId,
    status: i.status,
    statusReason: i.statusReason,
    webhookUrl: i.webhookUrl,
    webhookEnabled: i.webhookEnabled,
    /** Set when the gateway turned the webhook off: `gone_410` or `endpoint_failing`. */
    webhookDisabledReason: i.webhookDisabledReason,
    webhookDisabledAt: i.webhookDisabledAt,
    lastActivity: i.lastActivityAt,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
    webhookSettings: {
      instanceId: i.id,
      notifyReceived: i.notifyReceived,
      notifySent: i.notifySent,
      notifyDelivery: i.notifyDelivery,
      notifyRead: i.notifyRead,
      maxRetries: i.maxRetries,
      retryInterval: i.retryIntervalMs,
      secret: maskSecret(secret),
      /** After a rotation: until when the previous secret signs too. */
      previousSecretExpiresAt:
        i.webhookPreviousSecretExpiresAt && i.webhookPreviousSecretExpiresAt > new Date()
          ? i.webhookPreviousSecretExpiresAt
          : null,
      headers: i.webhookHeaders,
    },
    connectionStatus: {
      ready: i.status === 'connected',
      status: i.status,
      hasQr: i.status === 'waiting_for_qr',
    },
    limits: i.limits,
  };
}

/** How long {@link InstancesService.getRecent} may answer with an instance this process read before, ms. */
export const RECENT_INSTANCE_MS = 2000;

@Injectable()
export class InstancesService {
  private readonly logger = new Logger(InstancesService.name);
  /** Instances read for sync sends, by id (getRecent); dropped by this process's own changes. */
  private readonly recent = new LRUCache<string, InstanceEntity>({ max: 10_000, ttl: RECENT_INSTANCE_MS });

  constructor(
    @InjectRepository(InstanceEntity) private readonly repo: Repository<InstanceEntity>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly providers: ProviderRegistry,
    private readonly events: EventsService,
    private readonly activity: ActivityService,
    private readonly secrets: SecretBox,
    private readonly webhookHttp: WebhookHttpClient,
  ) {}

  /** @throws ValidationError when the webhook URL points at a refused address (SSRF, WEBHOOKS.md). */
  private async checkWebhookUrl(url: string | undefined): Promise<void> {
    if (!url) return;
    const refusal = await this.webhookHttp.refusal(url);
    if (refusal)
      throw new ValidationError(`webhookUrl ${refusal}`, [{ field: 'webhookUrl', message: refusal }]);
  }

  get(principal: Principal, id: string): Promise<InstanceEntity> {
    return findOwnedInstance(this.repo, principal, id);
  }

  /**
   * {@link get} for the sync send path (issue 11: this read was a fifth of a send's database work):
   * the instance as this process read it at most RECENT_INSTANCE_MS (2 s) ago, ownership checked
   * on every call (the owner and the provider never change). The send writes its event's delivery
   * with the webhook settings of the row as it is then (writeMessageWithEvent), so what may lag
   * behind a change made on another API process, by at most 2 s, is `limits` (as for the API-call
   * counter) and `status`; a send to an instance deleted meanwhile answers 404 when it writes.
   * Changes made through this service drop the copy at once.
   * @throws NotFoundError as get
   */
  async getRecent(principal: Principal, id: string): Promise<InstanceEntity> {
    const seen = this.recent.get(id);
    if (seen) {
      if (isAdmin(principal) || seen.userId === principal.userId) return seen;
      throw new NotFoundError('Instance', id);
    }
    const instance = await this.get(principal, id);
    this.recent.set(id, instance);
    return instance;
  }

  view(instance: InstanceEntity) {
    return toInstanceView(instance, this.secrets.decryptOptional(instance.webhookSecretEnc));
  }

  async list(principal: Principal, q: PageQuery) {
    const qb = this.repo.createQueryBuilder('i').orderBy('i.createdAt', 'DESC');
    if (!isAdmin(principal)) qb.where('i.userId = :userId', { userId: principal.userId });
    const page = await paginate(qb, q, 100);
    return { instances: page.items.map((i) => this.view(i)), pagination: page.pagination };
  }

  async describe(principal: Principal, id: string) {
    const instance = await this.get(principal, id);
    const config = await this.providers.get(instance.provider).describeConfig(instance);
    return { ...this.view(instance), config };
  }

  /**
   * Validates `config` against the provider's DTO, checks the credentials with the provider
   * and saves instance + provider config in one transaction (nothing saved on any failure),
   * then connects. The webhook secret is returned once when we generated it.
   */
  async create(principal: Principal, dto: CreateInstanceDto) {
    const adapter = this.providers.get(dto.provider);
    const config = plainToInstance(adapter.configDto, dto.config);
    const problems = flattenValidationErrors(
      await validate(config, { whitelist: true, forbidNonWhitelisted: true }),
      'config',
    );
    if (problems.length)
      throw new ValidationError(
        `Invalid ${dto.provider} config: ${problems.map((p) => p.message).join('; ')}`,
        problems,
      );
    checkHeaders(dto.headers);
    if (dto.webhookEnabled && !dto.webhookUrl) {
      throw new ValidationError('webhookEnabled needs a webhookUrl', [
        { field: 'webhookUrl', message: 'required when webhookEnabled is true' },
      ]);
    }
    await this.checkWebhookUrl(dto.webhookUrl);
    const generatedSecret = dto.webhookSecret ? null : generateWebhookSecret();
    const secret = dto.webhookSecret ?? generatedSecret!;

    const { instance, account } = await this.db.transaction(async (tx) => {
      const slug = await this.pickSlug(tx.getRepository(InstanceEntity), dto.provider, dto.name, dto.slug);
      const instance = tx.create(InstanceEntity, {
        userId: principal.userId,
        provider: dto.provider,
        name: dto.name,
        slug,
        description: dto.description ?? null,
        status: 'connecting',
        webhookUrl: dto.webhookUrl ?? null,
        webhookEnabled: dto.webhookEnabled ?? !!dto.webhookUrl,
        notifyReceived: dto.notifyReceived ?? true,
        notifySent: dto.notifySent ?? true,
        notifyDelivery: dto.notifyDelivery ?? false,
        notifyRead: dto.notifyRead ?? false,
        maxRetries: dto.maxRetries ?? 3,
        retryIntervalMs: dto.retryInterval ?? 60_000,
        webhookSecretEnc: this.secrets.encrypt(secret),
        webhookHeaders: dto.headers ?? {},
        limits: { ...(dto.limits ?? {}) },
      });
      await tx.save(instance).catch(slugConflict(slug));
      const account = await adapter.createConfig(tx, instance, config);
      await this.activity.log(instance.id, 'created', { provider: dto.provider, ...account }, tx);
      return { instance, account };
    });
    this.logger.log({ instanceId: instance.id, provider: instance.provider, ...account }, 'instance created');
    await this.applyConnect(instance, await adapter.connect(instance));
    return { ...this.view(instance), ...(generatedSecret ? { webhookSecret: generatedSecret } : {}) };
  }

  /**
   * Re-enabling a webhook the gateway disabled (410, endpoint failing) clears the reason and the
   * failing streak, and the response offers a replay of what was missed:
   * `replay: {since: <ISO, start of the failures or the disabling>, endpoint}`.
   */
  async update(principal: Principal, id: string, dto: UpdateInstanceDto) {
    const instance = await this.get(principal, id);
    const wasEnabled = instance.webhookEnabled;
    const missedSince = instance.webhookFailingSince ?? instance.webhookDisabledAt;
    const nested: WebhookSettingsDto = dto.webhookSettings ?? {};
    const headers = nested.headers ?? dto.headers;
    checkHeaders(headers);
    await this.checkWebhookUrl(dto.webhookUrl);
    const before = JSON.stringify(this.webhookState(instance));
    if (dto.name !== undefined) instance.name = dto.name;
    if (dto.slug !== undefined && dto.slug !== instance.slug) {
      instance.slug = await this.pickSlug(this.repo, instance.provider, instance.name, dto.slug);
    }
    if (dto.description !== undefined) instance.description = dto.description;
    if (dto.webhookUrl !== undefined) instance.webhookUrl = dto.webhookUrl;
    if (dto.webhookEnabled !== undefined) instance.webhookEnabled = dto.webhookEnabled;
    const pick = <K extends keyof WebhookSettingsDto>(k: K) =>
      nested[k] !== undefined ? nested[k] : (dto as WebhookSettingsDto)[k];
    for (const k of ['notifyReceived', 'notifySent', 'notifyDelivery', 'notifyRead', 'maxRetries'] as const) {
      const v = pick(k);
      if (v !== undefined) (instance as unknown as Record<string, unknown>)[k] = v;
    }
    const retry = pick('retryInterval');
    if (retry !== undefined) instance.retryIntervalMs = retry;
    const secret = nested.secret ?? dto.webhookSecret;
    if (secret !== undefined) {
      // a secret set by hand replaces any rotation in progress
      instance.webhookSecretEnc = this.secrets.encrypt(secret);
      instance.webhookPreviousSecretEnc = null;
      instance.webhookPreviousSecretExpiresAt = null;
    }
    const reEnabled = instance.webhookEnabled && !wasEnabled;
    const offerReplay = reEnabled && !!instance.webhookDisabledAt && !!missedSince;
    if (reEnabled) {
      instance.webhookDisabledReason = null;
      instance.webhookDisabledAt = null;
      instance.webhookFailingSince = null;
    }
    if (headers !== undefined) instance.webhookHeaders = headers;
    if (dto.limits !== undefined) instance.limits = { ...dto.limits };
    if (instance.webhookEnabled && !instance.webhookUrl) {
      throw new ValidationError('webhookEnabled needs a webhookUrl', [
        { field: 'webhookUrl', message: 'required when webhookEnabled is true' },
      ]);
    }
    const changed = before !== JSON.stringify(this.webhookState(instance));
    this.recent.delete(instance.id);
    await this.db.transaction(async (tx) => {
      await tx.save(instance).catch(slugConflict(instance.slug));
      if (changed) {
        await this.activity.log(
          instance.id,
          'webhook_updated',
          { webhookUrl: instance.webhookUrl, webhookEnabled: instance.webhookEnabled },
          tx,
        );
      }
    });
    if (changed) {
      await this.events.emit(this.db.manager, instance, 'webhook_updated', {
        instanceId: instance.id,
        timestamp: new Date().toISOString(),
      });
    }
    if (!offerReplay) return this.view(instance);
    return {
      ...this.view(instance),
      replay: {
        since: missedSince.toISOString(),
        endpoint: `POST /api/instances/${instance.id}/webhook-deliveries/replay`,
      },
    };
  }

  async remove(principal: Principal, id: string) {
    const instance = await this.get(principal, id);
    const adapter = this.providers.get(instance.provider);
    await adapter
      .disconnect(instance, { logout: false })
      .catch((err) => this.logger.warn({ err, id }, 'disconnect before delete failed'));
    await this.repo.delete({ id: instance.id });
    this.recent.delete(instance.id);
    adapter.forget(instance.id);
    return { success: true, message: `Instance ${instance.id} deleted successfully` };
  }

  async status(principal: Principal, id: string) {
    const i = await this.get(principal, id);
    const qr = await this.providers.get(i.provider).qrState?.(i);
    const details = { ready: i.status === 'connected', status: i.status, hasQr: qr?.state === 'pending' };
    return {
      instanceId: i.id,
      ...details,
      reason: i.statusReason,
      lastActivity: i.lastActivityAt,
      connectionDetails: details,
    };
  }

  async reconnect(principal: Principal, id: string) {
    const instance = await this.get(principal, id);
    const result = await this.providers.get(instance.provider).connect(instance);
    await this.applyConnect(instance, result);
    return {
      success: result.status === 'connected',
      message: `Instance ${instance.id} reconnected`,
      status: instance.status,
      reason: instance.statusReason,
    };
  }

  async logout(principal: Principal, id: string) {
    const instance = await this.get(principal, id);
    await this.providers.get(instance.provider).disconnect(instance, { logout: true });
    await this.setStatus(instance, 'disconnected', 'logout');
    return { success: true, message: `Instance ${instance.id} logged out` };
  }

  async capabilities(principal: Principal, id: string) {
    const instance = await this.get(principal, id);
    return this.providers.get(instance.provider).capabilities;
  }

  /**
   * The seeds' QR shapes: `{status: "pending", qrCode, qrImage, attempt, expiresAt}` while a QR
   * waits, `{message, status: "generating"}` while the socket connects, `pairing_code` when linking
   * by phone number. @throws ConflictError (409) when linked or stopped (POST …/reconnect first);
   * UnprocessableError (422) for providers without QR login.
   */
  async qr(principal: Principal, id: string): Promise<QrLoginState> {
    const instance = await this.get(principal, id);
    const adapter = this.providers.get(instance.provider);
    if (adapter.qrState) {
      const state = await adapter.qrState(instance);
      if (state.state !== 'generating') return state;
      if (instance.status === 'connected')
        throw new ConflictError(
          'already_connected',
          `Instance ${instance.id} is linked and connected: no QR to scan`,
        );
      if (instance.status !== 'connecting' && instance.status !== 'waiting_for_qr')
        throw new ConflictError(
          'not_waiting_for_login',
          `Instance ${instance.id} is ${instance.status}${instance.statusReason ? ` (${instance.statusReason})` : ''}; ` +
            `POST /api/instances/${instance.id}/reconnect for new QR codes`,
        );
      return state;
    }
    throw new UnprocessableError(
      'qr_not_supported',
      `${instance.provider} instances have no QR login: QR codes exist only for WhatsApp Web instances`,
      { provider: instance.provider },
    );
  }

  activityLog(instance: InstanceEntity, q: Parameters<ActivityService['list']>[1]) {
    return this.activity.list(instance.id, q);
  }

  /**
   * `wanted` when free in the provider (else 409 `slug_taken`); without one, the slug derived
   * from `name`, with `-2`, `-3`, ... appended while the provider already has it.
   */
  private async pickSlug(
    repo: Repository<InstanceEntity>,
    provider: string,
    name: string,
    wanted?: string,
  ): Promise<string> {
    if (wanted !== undefined) {
      if (await repo.exists({ where: { provider, slug: wanted } })) slugConflict(wanted)({ code: '23505' });
      return wanted;
    }
    const base = slugFromName(name);
    const taken = new Set(
      (
        await repo
          .createQueryBuilder('i')
          .select('i.slug', 'slug')
          .where('i.provider = :provider AND (i.slug = :base OR i.slug LIKE :prefix)', {
            provider,
            base,
            prefix: `${base}-%`,
          })
          .getRawMany<{ slug: string }>()
      ).map((r) => r.slug),
    );
    if (!taken.has(base)) return base;
    for (let n = 2; ; n += 1) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }

  private webhookState(i: InstanceEntity) {
    return [
      i.webhookUrl,
      i.webhookEnabled,
      i.notifyReceived,
      i.notifySent,
      i.notifyDelivery,
      i.notifyRead,
      i.maxRetries,
      i.retryIntervalMs,
      i.webhookSecretEnc,
      i.webhookHeaders,
    ];
  }

  private async applyConnect(instance: InstanceEntity, result: ConnectResult): Promise<void> {
    await this.setStatus(instance, result.status, result.reason ?? null, result.details);
  }

  /** Persists a status change with its activity line and its `connected` / `disconnected` event. */
  async setStatus(
    instance: InstanceEntity,
    status: InstanceEntity['status'],
    reason: string | null,
    details: Record<string, unknown> = {},
  ) {
    instance.status = status;
    instance.statusReason = status === 'connected' ? null : reason;
    this.recent.delete(instance.id);
    const recorded = await this.db.transaction(async (tx) => {
      // the stored status, locked: the connection runtime may have changed it meanwhile
      const current = await tx.findOne(InstanceEntity, {
        where: { id: instance.id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!current) return null; // deleted meanwhile
      const previous = current.status;
      await tx.update(InstanceEntity, { id: instance.id }, { status, statusReason: instance.statusReason });
      if (previous === status) return null;
      const action = status === 'connected' ? 'connected' : 'disconnected';
      await this.activity.log(instance.id, action, { status, reason, ...details }, tx);
      const data =
        status === 'connected'
          ? { instanceId: instance.id, ...details }
          : { instanceId: instance.id, status, reason, willReconnect: status === 'connecting' };
      return this.events.record(tx, instance, action, data);
    });
    await this.events.enqueue([recorded?.delivery]);
  }
}

/** A unique violation on (provider, slug) → 409 `slug_taken`; anything else is rethrown. */
function slugConflict(slug: string) {
  return (err: unknown): never => {
    const e = err as { code?: string; constraint?: string; driverError?: { constraint?: string } };
    const constraint = e.constraint ?? e.driverError?.constraint;
    if (e.code === '23505' && (constraint === undefined || constraint === 'instances_provider_slug_key')) {
      throw new ConflictError(
        'slug_taken',
        `slug: "${slug}" is already used by another instance of this provider; choose another slug`,
      );
    }
    throw err;
  };
}

function checkHeaders(headers: Record<string, unknown> | undefined): void {
  if (!headers) return;
  const bad = Object.entries(headers).filter(
    ([k, v]) => typeof v !== 'string' || RESERVED_HEADERS.test(k) || !/^[A-Za-z0-9-]+$/.test(k),
  );
  if (bad.length) {
    throw new ValidationError(
      'headers: values must be strings and names must not override delivery headers',
      bad.map(([k]) => ({ field: `headers.${k}`, message: 'reserved, invalid name, or not a string' })),
    );
  }
}
