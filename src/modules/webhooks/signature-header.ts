import { standardWebhooksSignature } from '../../common/crypto/webhook-signature';

/**
 * The `webhook-signature` header value: one `v1,<base64>` per secret, space separated (Standard
 * Webhooks 1.0 § rotation), the current secret first. Empty and null secrets are skipped.
 * @param timestamp unix seconds of this attempt
 */
export function webhookSignatureHeader(
  secrets: (string | null | undefined)[],
  webhookId: string,
  timestamp: number,
  rawBody: string,
): string {
  return secrets
    .filter((s): s is string => !!s)
    .map((s) => standardWebhooksSignature(s, webhookId, timestamp, rawBody))
    .join(' ');
}
