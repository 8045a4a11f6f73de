import { isObject } from './payload-shape';

/*
 * What a provider tells the NATS module (src/modules/nats, issue 13; README § NATS) about its
 * subjects: the `<p>` token and how one archived provider event splits into the connector seed's
 * `.in.*` subjects. The NATS module builds the subjects and `Nats-Msg-Id`s and names no provider.
 */

/**
 * Adds one `.in.*` subject of an archived item: `suffix` after `<p>.<slug>.in.` (`webhook`,
 * `message`, `message.text`, `status`, `error`, …), `data` its body, `n` the index when one item
 * has several objects of a kind (absent or 0 for the first). The NATS module turns it into
 * `Nats-Msg-Id` `in:<archive id>:<suffix>[:<n>]`.
 */
export type NatsAdd = (suffix: string, data: unknown, n?: number) => void;

/** One archived provider event (`inbound_events`) as a mapping sees it. */
export interface NatsArchivedItem {
  /** The provider's object exactly as archived. */
  payload: Record<string, unknown>;
}

/** A provider's NATS subjects (ProviderAdapter.nats). */
export interface NatsMapping {
  /** The `<p>` token of every subject of the provider, e.g. `whatsapp` (the seed's) for whatsapp-official. */
  readonly subjectToken: string;
  /** Adds the `.in.*` subjects of one archived item (malformed payloads never get here). */
  inboundMessages(item: NatsArchivedItem, add: NatsAdd): void;
  /**
   * Optional: `out.*` requests take the connector seed's bodies (src/modules/nats/nats-requests.ts:
   * `{to, text, preview_url?, reply_to?}`, `{to, link | media_id, caption?, filename?}`, …, errors
   * named by the seed's fields) and are answered with the provider API's response JSON: a send with
   * the stored `messages.raw`, `markRead` with `markReadReply`. Absent → the normalized
   * SendMessageDto fields, answered with the REST API's views.
   */
  readonly seedRequests?: { markReadReply: Record<string, unknown> };
}

/** The objects among an array's elements; `[]` for anything else. */
export const natsObjects = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.filter(isObject) : [];

/** A subject token from provider data: only `[A-Za-z0-9_-]` (no `.`, `*`, `>` or spaces), else null. */
export const natsToken = (v: unknown): string | null =>
  typeof v === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(v) ? v : null;
