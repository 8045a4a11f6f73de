import { Injectable, Logger } from '@nestjs/common';
import { ForbiddenError, UnauthorizedError, ValidationError } from '../../common/errors/app-error';
import { ConversationsService } from '../messages/conversations.service';
import { WhatsappOfficialAdapter } from '../providers/whatsapp-official/whatsapp-official.adapter';
import { array, isObject, malformedItem, object, shapeCheck } from '../providers/payload-shape';
import {
  normalizeWhatsAppChange,
  normalizeWhatsAppEntry,
  phoneNumberIdOf,
  WaChange,
  WaInboundItem,
  WHATSAPP_OFFICIAL,
} from '../providers/whatsapp-official/whatsapp-official.normalizer';
import { isUUID } from 'class-validator';

/** What one webhook POST came to: counts of its items. */
export interface WhatsappWebhookOutcome {
  ok: true;
  stored: number;
  duplicates: number;
  skipped: number;
}

/**
 * WhatsApp Cloud API webhooks (PROVIDERS.md §2.3; Meta: whatsapp/webhooks/create-webhook-endpoint):
 * the GET verification handshake, and POSTs checked with `X-Hub-Signature-256` over the raw bytes
 * received before anything is stored. On the shared URL every `entry[].changes[]` is routed by
 * `metadata.phone_number_id` (account-level changes by `entry.id` = WABA id) and accepted only for
 * instances whose app secret made the signature; on `/:instanceId` all changes go to that instance.
 */
@Injectable()
export class WhatsappWebhookService {
  private readonly logger = new Logger(WhatsappWebhookService.name);

  constructor(
    private readonly adapter: WhatsappOfficialAdapter,
    private readonly conversations: ConversationsService,
  ) {}

  /**
   * `hub.mode=subscribe` and a `hub.verify_token` of an instance (of `instanceId` when given)
   * → the challenge to echo. @throws ForbiddenError (403) otherwise.
   */
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
    const found = await this.adapter.instanceForVerifyToken(token, instanceId);
    if (!found) throw new ForbiddenError('hub.verify_token does not match any WhatsApp instance');
    return challenge;
  }

  /**
   * @param raw the request body exactly as received (never re-serialized JSON).
   * A verified body whose parts don't fit the Cloud API's shapes (`statuses: 12345`, an entry
   * that is a string, no `entry[]` at all on the instance URL) is archived and counted as
   * skipped with a `malformed_payload:` reason: Meta gets its 200 and stops retrying.
   * @throws UnauthorizedError (401) when no addressed instance's app secret made the signature
   *   (on the shared URL, also for a body that names no instance to check it with);
   *   ValidationError (400) for a body that is not JSON.
   */
  async receive(
    raw: Buffer | undefined,
    signature: string | undefined,
    instanceId?: string,
  ): Promise<WhatsappWebhookOutcome> {
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
    const routed: Routed[] = instanceId
      ? bad
        ? [{ instanceId, items: [malformedItem(body, bad)] }]
        : entries.map((entry) => ({ instanceId, items: normalizeWhatsAppEntry(entry) }))
      : await this.route(entries, raw, signature);
    const outcome: WhatsappWebhookOutcome = { ok: true, stored: 0, duplicates: 0, skipped: 0 };
    for (const { instanceId: id, items } of routed) {
      for (const item of items) {
        const r = await this.conversations.ingest(
          { id, provider: WHATSAPP_OFFICIAL },
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

  /**
   * Shared URL: each change → its instance(s) by phone_number_id, else by the entry's WABA id
   * (also for an entry too malformed to have changes); only instances the signature verifies for.
   */
  private async route(entries: unknown[], raw: Buffer, signature: string | undefined): Promise<Routed[]> {
    const wanted: Routed[] = [];
    const byWaba = async (entry: unknown): Promise<string[]> => {
      const wabaId = isObject(entry) ? entry.id : undefined;
      return typeof wabaId === 'string' || typeof wabaId === 'number'
        ? this.adapter.instancesForWaba(String(wabaId))
        : [];
    };
    for (const entry of entries) {
      const changes = isObject(entry) && Array.isArray(entry.changes) ? entry.changes : null;
      const parts: { ids: string[]; items: WaInboundItem[]; field?: unknown; phoneNumberId?: string }[] = [];
      if (!changes) {
        parts.push({ ids: await byWaba(entry), items: normalizeWhatsAppEntry(entry) });
      } else {
        for (const change of changes) {
          const phoneNumberId = phoneNumberIdOf(change);
          const ids = phoneNumberId
            ? [await this.adapter.instanceForPhoneNumberId(phoneNumberId)].filter((x): x is string => !!x)
            : await byWaba(entry);
          const field = isObject(change) ? change.field : undefined;
          parts.push({ ids, items: normalizeWhatsAppChange(change as WaChange), field, phoneNumberId });
        }
      }
      for (const { ids, items, field, phoneNumberId } of parts) {
        if (ids.length === 0) {
          this.logger.warn(
            { phoneNumberId, wabaId: isObject(entry) ? entry.id : undefined, field },
            'webhook change for no instance',
          );
        }
        for (const id of ids) wanted.push({ instanceId: id, items });
      }
    }
    const verified = new Map<string, boolean>();
    for (const id of new Set(wanted.map((w) => w.instanceId))) {
      verified.set(id, await this.adapter.verifySignature(id, raw, signature));
    }
    if (![...verified.values()].some(Boolean)) {
      throw new UnauthorizedError('X-Hub-Signature-256 is missing or wrong');
    }
    for (const [id, ok] of verified) {
      if (!ok)
        this.logger.warn({ instanceId: id }, 'webhook signature not made with this instance’s app secret');
    }
    return wanted.filter((w) => verified.get(w.instanceId));
  }
}

/** Items of a webhook body for one instance. */
interface Routed {
  instanceId: string;
  items: WaInboundItem[];
}

/** The envelope every WhatsApp webhook has: an object with `entry[]`. */
const checkWebhook = shapeCheck(object({ entry: array({}) }, ['entry']));
