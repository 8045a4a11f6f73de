import Ajv, { type ErrorObject } from 'ajv';
import { createHash } from 'node:crypto';
import type { InboundResult } from './normalized';

/**
 * Shape checks of provider payloads before they are normalized (JSON Schema, ajv). A provider
 * may send what its docs don't promise (`statuses: 12345`, `messages: "garbage"`, a date of 1e20);
 * a signed payload is still ours to archive, so a part that fails its schema becomes one item
 * skipped as `malformed_payload:<JSON pointer> <why>` (inbound_events.skip_reason; the pointer
 * is into that item's archived payload) instead of reaching code that iterates it, and the
 * provider gets its 2xx and stops retrying.
 *
 * Schemas name only the fields the normalizers read; everything else passes as received.
 * Ids are bounded so that they fit PostgreSQL's btree indexes (`provider_event_id`,
 * `provider_message_id`, `provider_chat_id`).
 */
const ajv = new Ajv({ allowUnionTypes: true, strict: true });

export type Schema = Record<string, unknown>;

/** Longest provider id accepted, characters (real ones are < 150: wamids, Messenger mids). */
const ID_MAX = 256;
/** Latest instant JavaScript dates (and so our timestamps) can hold, ms since the epoch. */
export const MAX_EPOCH_MS = 8_640_000_000_000_000;

export const str: Schema = { type: 'string' };
/** A short token (a type, status or field name), bounded because it becomes part of an id. */
export const token: Schema = { type: 'string', maxLength: 64 };
export const bool: Schema = { type: 'boolean' };
export const num: Schema = { type: 'number' };
export const int: Schema = {
  type: 'integer',
  minimum: -Number.MAX_SAFE_INTEGER,
  maximum: Number.MAX_SAFE_INTEGER,
};
/** An id that may arrive as a number (restfb samples) or a string. */
export const id: Schema = {
  type: ['string', 'integer'],
  maxLength: ID_MAX,
  minimum: -Number.MAX_SAFE_INTEGER,
  maximum: Number.MAX_SAFE_INTEGER,
};
export const strId: Schema = { type: 'string', maxLength: ID_MAX };
export const anyObject: Schema = { type: 'object' };
export const object = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
});
export const array = (items: Schema): Schema => ({ type: 'array', items });
/** Epoch seconds (Telegram) / ms (Meta), within what a date can hold. */
export const epochSeconds: Schema = { type: 'integer', minimum: 0, maximum: MAX_EPOCH_MS / 1000 };
export const epochMs: Schema = { type: 'integer', minimum: 0, maximum: MAX_EPOCH_MS };

/** A compiled check: null when `value` fits, else the skip reason naming the first misfit. */
export type ShapeCheck = (value: unknown) => string | null;

export function shapeCheck(schema: Schema): ShapeCheck {
  const validate = ajv.compile(schema);
  return (value) => (validate(value) ? null : malformedReason(validate.errors?.[0]));
}

function malformedReason(e: ErrorObject | undefined): string {
  if (!e) return 'malformed_payload';
  return `malformed_payload:${e.instancePath || '/'} ${e.message ?? 'is invalid'}`.slice(0, 500);
}

/** One malformed part of a payload as an inbound item: archived as received, skipped with `reason`. */
export function malformedItem(
  part: unknown,
  reason: string,
): { providerEventId: string; payload: Record<string, unknown>; result: InboundResult } {
  return {
    providerEventId: `malformed:${createHash('sha256')
      .update(JSON.stringify(part) ?? 'undefined')
      .digest('hex')
      .slice(0, 32)}`,
    payload: (isObject(part) ? part : { received: part ?? null }) as Record<string, unknown>,
    result: { kind: 'skip', reason },
  };
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
