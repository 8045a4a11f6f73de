/** Longest values the envelope's generated fields can take (uuid, 19-digit bigint sequence, ISO time). */
const UUID_MAX = '00000000-0000-0000-0000-000000000000';
const SEQUENCE_MAX = 9_223_372_036_854_775_807n.toString();
const ISO_MAX = '2026-01-01T00:00:00.000Z';

/**
 * Upper bound, in bytes, of the envelope `{id, event, instanceId, provider, sequence, data,
 * timestamp}` for already-serialized `dataJson`, without knowing the id, sequence or time yet.
 * Cheap: one small JSON.stringify plus a byte count of the data.
 */
export function envelopeBytes(type: string, instanceId: string, provider: string, dataJson: string): number {
  const shell = JSON.stringify({
    id: UUID_MAX,
    event: type,
    instanceId,
    provider,
    sequence: SEQUENCE_MAX,
    data: 0,
    timestamp: ISO_MAX,
  });
  // the shell carries the sequence as a quoted string and data as `0`: 2 + 1 bytes of slack
  return Buffer.byteLength(shell) + Buffer.byteLength(dataJson);
}

/** Bytes `messageId` and `chatId` (uuids) add to an object's JSON once merged into it. */
export const MESSAGE_REF_BYTES = JSON.stringify({ messageId: UUID_MAX, chatId: UUID_MAX }).length - 1;

/** The delivery's `last_error` for an event too large to deliver, or null when it fits. */
export function payloadTooLarge(bytes: number, limit: number): string | null {
  return bytes > limit ? `payload_too_large: ${bytes} bytes > ${limit}` : null;
}
