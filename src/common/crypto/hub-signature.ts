import { createHmac } from 'node:crypto';
import { safeEqual } from './tokens';

/**
 * Meta webhook signatures (PROVIDERS.md §2.3; developers.facebook.com/docs/graph-api/webhooks/getting-started):
 * `X-Hub-Signature-256: sha256=<lowercase hex HMAC-SHA256(app secret, raw request body)>`.
 * Always over the bytes received: Meta escapes non-ASCII as `\uXXXX` before signing, so a
 * re-serialized body would not match.
 */
export function hubSignature(appSecret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** Constant-time check of `header` against each candidate secret; false when the header is missing. */
export function verifyHubSignature(
  secrets: readonly string[],
  rawBody: Buffer | string,
  header: string | undefined,
): boolean {
  if (!header || !header.startsWith('sha256=')) return false;
  const given = header.toLowerCase();
  return secrets.some((s) => !!s && safeEqual(hubSignature(s, rawBody), given));
}
