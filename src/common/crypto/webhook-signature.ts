import { createHmac } from 'node:crypto';

/**
 * Client-webhook signatures (WEBHOOKS.md, DESIGN.md §4 Signing).
 * - seeds scheme: `X-Webhook-Signature: hex(HMAC-SHA256(secret, rawBody))`;
 * - Standard Webhooks 1.0: `webhook-signature: v1,<base64 HMAC-SHA256(key, id.timestamp.body)>`,
 *   key = base64-decoded part after `whsec_`, or the UTF-8 bytes of any other secret.
 */
export function seedsSignature(secret: string, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

export function standardWebhooksKey(secret: string): Buffer {
  return secret.startsWith('whsec_')
    ? Buffer.from(secret.slice('whsec_'.length), 'base64')
    : Buffer.from(secret, 'utf8');
}

/** @param timestamp unix seconds of this attempt */
export function standardWebhooksSignature(
  secret: string,
  id: string,
  timestamp: number,
  rawBody: string,
): string {
  const mac = createHmac('sha256', standardWebhooksKey(secret))
    .update(`${id}.${timestamp}.${rawBody}`)
    .digest('base64');
  return `v1,${mac}`;
}
