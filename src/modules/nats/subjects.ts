import type { ProviderAdapter } from '../providers/provider-adapter';
import type { NatsMapping } from '../providers/nats-mapping';
import type { EventEnvelope } from '../webhooks/event-types';

/*
 * The connector seed's subject scheme (seeds/whatsapp-cloud-connector.md), for every provider:
 *   <p>.<slug>.in.webhook | in.message | in.message.<type> | in.status | in.error   (JetStream)
 *   <p>.<slug>.error                                                               (JetStream)
 *   <p>.<slug>.out.<action>                               (request/reply; never in the stream)
 *   switchboard.<p>.<slug>.<event>                        (client-webhook envelopes; JetStream)
 * `<p>` is the provider's subject token (its adapter's `nats.subjectToken`, e.g. the seed's own
 * token for WhatsApp Cloud); which `.in.*` subjects an archived event gets is the adapter's
 * NatsMapping (src/modules/providers/<provider>/). This module names no provider.
 */

/** The `<p>` token of a provider's subjects: its adapter's `nats.subjectToken`, else the provider key. */
export function subjectToken(provider: string, adapter: Pick<ProviderAdapter, 'nats'> | undefined): string {
  return adapter?.nats?.subjectToken ?? provider;
}

/** One message for JetStream: `msgId` goes out as `Nats-Msg-Id` (stable across redeliveries). */
export interface NatsOutMessage {
  subject: string;
  msgId: string;
  data: unknown;
  /** Published as is instead of `JSON.stringify(data)`: a request body exactly as received. */
  raw?: string;
}

/**
 * The stream's subjects for the providers' `<p>` tokens: `in` and `error` of every provider and
 * all `switchboard.>` envelopes; never `out` (JetStream would answer the requests itself).
 */
export function streamSubjects(tokens: readonly string[]): string[] {
  const unique = [...new Set(tokens)].sort();
  return [...unique.flatMap((t) => [`${t}.*.in.>`, `${t}.*.error`]), 'switchboard.>'];
}

/** `switchboard.<p>.<slug>.<event>` with the webhook envelope; `Nats-Msg-Id` = `ev:<event id>`. */
export function eventMessage(token: string, slug: string, envelope: EventEnvelope): NatsOutMessage {
  return {
    subject: `switchboard.${token}.${slug}.${envelope.event}`,
    msgId: `ev:${envelope.id}`,
    data: envelope,
  };
}

/** What {@link inboundMessages} needs of one archived provider event (`inbound_events`). */
export interface ArchivedInbound {
  /** inbound_events.id: the stable part of every `Nats-Msg-Id`. */
  id: string;
  /** The provider's `<p>` token ({@link subjectToken}). */
  token: string;
  slug: string;
  /** The provider's object exactly as archived. */
  payload: Record<string, unknown>;
  /** `stored` or `skipped`. */
  outcome: string;
  skipReason: string | null;
  /**
   * inbound_events.request_id: the item came with a webhook request, whose body is published on
   * `.in.webhook` by itself ({@link requestMessage}), so the item's own `webhook` subject is dropped.
   */
  requestId?: string | null;
}

/** What {@link requestMessage} needs of one archived webhook request (`inbound_requests`). */
export interface ArchivedRequest {
  provider: string;
  instanceId: string;
  /** The provider's `<p>` token ({@link subjectToken}). */
  token: string;
  slug: string;
  /** The raw body as received (UTF-8). */
  body: string;
  bodySha256: string;
}

/**
 * `<p>.<slug>.in.webhook` with a webhook request's body exactly as received (the bytes, not a
 * re-serialization: key order, duplicate keys and spacing kept); `Nats-Msg-Id` =
 * `req:<provider>:<instance id>:<body sha256>`, the same for every redelivery of the body.
 * `data` is the parsed body (null when it is not JSON).
 */
export function requestMessage(r: ArchivedRequest): NatsOutMessage {
  let data: unknown = null;
  try {
    data = JSON.parse(r.body);
  } catch {
    // published as received all the same
  }
  return {
    subject: `${r.token}.${r.slug}.in.webhook`,
    msgId: `req:${r.provider}:${r.instanceId}:${r.bodySha256}`,
    data,
    raw: r.body,
  };
}

/**
 * The seed subjects of one archived provider event, as the provider's `mapping` splits it (no
 * mapping: `.in.webhook` with the payload only). `Nats-Msg-Id` = `in:<archive id>:<subject
 * suffix>[:<n>]`, so one event on `.in.message` and `.in.message.text` has two ids and a
 * redelivery repeats them. Malformed payloads (archived with `malformed_payload`) publish nothing.
 * An item with a `requestId` gets no `webhook` subject: its request's body is that.
 */
export function inboundMessages(item: ArchivedInbound, mapping: NatsMapping | undefined): NatsOutMessage[] {
  if (item.skipReason?.startsWith('malformed_payload')) return [];
  const base = `${item.token}.${item.slug}.in`;
  const out: NatsOutMessage[] = [];
  const add = (suffix: string, data: unknown, n?: number) => {
    if (item.requestId && suffix === 'webhook') return;
    out.push({
      subject: `${base}.${suffix}`,
      msgId: `in:${item.id}:${suffix}${n === undefined ? '' : `:${n}`}`,
      data,
    });
  };
  if (mapping) mapping.inboundMessages({ payload: item.payload }, add);
  else add('webhook', item.payload);
  return out;
}
