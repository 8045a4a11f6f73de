import { Logger } from '@nestjs/common';
import { ForbiddenError, UnauthorizedError, ValidationError } from '../../common/errors/app-error';
import { ConversationsService } from '../messages/conversations.service';
import type { FacebookMessengerAdapter } from '../providers/facebook-messenger/facebook-messenger.adapter';
import {
  MsEntry,
  MsInboundItem,
  normalizeMessengerEntry,
} from '../providers/facebook-messenger/facebook-messenger.normalizer';
import { array, isObject, malformedItem, object, shapeCheck } from '../providers/payload-shape';
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
   * A verified body whose parts don't fit the platform's shapes (`messaging: "garbage"`, an event
   * that is a number, no `entry[]` at all on the instance URL) is archived and counted as skipped
   * with a `malformed_payload:` reason: Meta gets its 200 and stops retrying.
   * @throws UnauthorizedError (401) when no addressed instance's app secret made the signature
   *   (on the shared URL, also for a body that names no instance to check it with);
   *   ValidationError (400) for a body that is not JSON.
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
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      if (instanceId) throw new ValidationError('Body is not JSON');
      throw new UnauthorizedError('X-Hub-Signature-256 is missing or wrong');
    }
    const bad = checkWebhook(body);
    if (bad && !instanceId) throw new UnauthorizedError('X-Hub-Signature-256 is missing or wrong');
    const entries = bad ? [] : (body as { entry: unknown[] }).entry;
    const routed = instanceId
      ? bad
        ? [{ instanceId, items: [malformedItem(body, bad)] }]
        : entries.map((entry) => ({ instanceId, items: normalizeMessengerEntry(entry as MsEntry) }))
      : await this.route(entries, raw, signature);
    const outcome: PageWebhookOutcome = { ok: true, stored: 0, duplicates: 0, skipped: 0 };
    for (const { instanceId: id, items } of routed) {
      for (const item of items) {
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

  /** Shared URL: each entry → its instance by `entry.id`; only instances the signature verifies for. */
  private async route(
    entries: unknown[],
    raw: Buffer,
    signature: string | undefined,
  ): Promise<{ instanceId: string; items: MsInboundItem[] }[]> {
    const wanted: { instanceId: string; items: MsInboundItem[] }[] = [];
    for (const entry of entries) {
      const accountId = isObject(entry) ? entry.id : undefined;
      const id =
        typeof accountId === 'string' || typeof accountId === 'number'
          ? await this.adapter.instanceForAccount(String(accountId))
          : null;
      if (id) wanted.push({ instanceId: id, items: normalizeMessengerEntry(entry as MsEntry) });
      else this.logger.warn({ accountId }, 'webhook entry for no instance');
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

/** The envelope every Messenger / Instagram webhook has: an object with `entry[]`. */
const checkWebhook = shapeCheck(object({ entry: array({}) }, ['entry']));
