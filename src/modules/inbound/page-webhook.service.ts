import { Logger } from '@nestjs/common';
import { ForbiddenError, UnauthorizedError, ValidationError } from '../../common/errors/app-error';
import { ConversationsService } from '../messages/conversations.service';
import type { FacebookMessengerAdapter } from '../providers/facebook-messenger/facebook-messenger.adapter';
import {
  MsEntry,
  MsWebhook,
  normalizeMessengerEntry,
} from '../providers/facebook-messenger/facebook-messenger.normalizer';
import { isUUID } from 'class-validator';

export interface PageWebhookOutcome {
  ok: true;
  stored: number;
  duplicates: number;
  skipped: number;
}

/** What a Send-API-style adapter (Messenger, Instagram) offers the webhook: routing and verification. */
export type PageWebhookAdapter = Pick<
  FacebookMessengerAdapter,
  'instanceForVerifyToken' | 'verifySignature' | 'instanceForAccount'
>;

/**
 * Webhooks of the Meta platforms that share Messenger's event shapes (PROVIDERS.md §3.3, §4.2):
 * the GET handshake, and POSTs checked with `X-Hub-Signature-256` over the raw bytes before
 * anything is stored. On the shared URL each `entry` is routed by `entry.id` (Page id or IG
 * account id) and accepted only for instances whose app secret made the signature; every
 * `messaging[]` and `standby[]` event is ingested. One subclass per provider.
 */
export abstract class PageWebhookService {
  private readonly logger: Logger;

  protected constructor(
    private readonly adapter: PageWebhookAdapter,
    private readonly conversations: ConversationsService,
    private readonly provider: string,
    /** Human name in error messages, e.g. `Messenger`. */
    private readonly label: string,
  ) {
    this.logger = new Logger(new.target.name);
  }

  /** @throws ForbiddenError (403) unless mode is subscribe and the verify token is an instance's. */
  async handshake(
    mode: string | undefined,
    token: string | undefined,
    challenge: string | undefined,
    instanceId?: string,
  ): Promise<string> {
    if (mode !== 'subscribe' || !token || challenge === undefined) {
      throw new ForbiddenError('hub.mode must be subscribe with hub.verify_token and hub.challenge');
    }
    if (instanceId !== undefined && !isUUID(instanceId)) throw new ForbiddenError('Unknown verify token');
    if (!(await this.adapter.instanceForVerifyToken(token, instanceId))) {
      throw new ForbiddenError(`hub.verify_token does not match any ${this.label} instance`);
    }
    return challenge;
  }

  /**
   * @param raw the body exactly as received.
   * @throws UnauthorizedError (401) when no addressed instance's app secret made the signature.
   */
  async receive(
    raw: Buffer | undefined,
    signature: string | undefined,
    instanceId?: string,
  ): Promise<PageWebhookOutcome> {
    if (!raw) throw new ValidationError('Expected an application/json body');
    if (instanceId !== undefined) {
      if (!isUUID(instanceId) || !(await this.adapter.verifySignature(instanceId, raw, signature))) {
        throw new UnauthorizedError('X-Hub-Signature-256 is missing or wrong');
      }
    }
    let body: MsWebhook;
    try {
      body = JSON.parse(raw.toString('utf8')) as MsWebhook;
    } catch {
      if (instanceId) throw new ValidationError('Body is not JSON');
      throw new UnauthorizedError('X-Hub-Signature-256 is missing or wrong');
    }
    if (!body || typeof body !== 'object' || !Array.isArray(body.entry)) {
      if (instanceId) throw new ValidationError(`Not a ${this.label} webhook: entry[] is required`);
      throw new UnauthorizedError('X-Hub-Signature-256 is missing or wrong');
    }
    const routed = instanceId
      ? body.entry.map((entry) => ({ instanceId, entry }))
      : await this.route(body.entry, raw, signature);
    const outcome: PageWebhookOutcome = { ok: true, stored: 0, duplicates: 0, skipped: 0 };
    for (const { instanceId: id, entry } of routed) {
      for (const item of normalizeMessengerEntry(entry)) {
        const r = await this.conversations.ingest(
          { id, provider: this.provider },
          item.providerEventId,
          item.payload,
          item.result,
        );
        if (r.duplicate) outcome.duplicates += 1;
        else if (r.stored) outcome.stored += 1;
        else {
          outcome.skipped += 1;
          const reason = r.skipReason ?? (r.notFound ? 'instance_not_found' : 'not_stored');
          this.logger.log(
            { instanceId: id, providerEventId: item.providerEventId, reason },
            'webhook item skipped',
          );
        }
      }
    }
    return outcome;
  }

  private async route(
    entries: MsEntry[],
    raw: Buffer,
    signature: string | undefined,
  ): Promise<{ instanceId: string; entry: MsEntry }[]> {
    const wanted: { instanceId: string; entry: MsEntry }[] = [];
    for (const entry of entries) {
      const id = entry.id === undefined ? null : await this.adapter.instanceForAccount(String(entry.id));
      if (id) wanted.push({ instanceId: id, entry });
      else this.logger.warn({ accountId: entry.id }, 'webhook entry for no instance');
    }
    const verified = new Map<string, boolean>();
    for (const id of new Set(wanted.map((w) => w.instanceId))) {
      verified.set(id, await this.adapter.verifySignature(id, raw, signature));
    }
    if (![...verified.values()].some(Boolean)) {
      throw new UnauthorizedError('X-Hub-Signature-256 is missing or wrong');
    }
    return wanted.filter((w) => verified.get(w.instanceId));
  }
}
