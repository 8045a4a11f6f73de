import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far `X-Slack-Request-Timestamp` may be from our clock, s (Slack: 5 minutes). */
export const SLACK_SIGNATURE_WINDOW_S = 300;

/** `v0=<hex HMAC-SHA256(signingSecret, "v0:" + timestamp + ":" + rawBody)>` (PROVIDERS.md §5.2). */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: Buffer | string): string {
  const mac = createHmac('sha256', signingSecret);
  mac.update(`v0:${timestamp}:`);
  mac.update(rawBody);
  return `v0=${mac.digest('hex')}`;
}

export type SlackSignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks a Slack request: both headers present, the timestamp within
 * {@link SLACK_SIGNATURE_WINDOW_S} of `nowMs` (either way), and the v0 signature over the body
 * bytes exactly as received (never re-serialized JSON: Slack escapes `/` as `\/`), compared in
 * constant time. Bolt's verifySlackRequest does the same; we avoid pulling Bolt in for it.
 */
export function verifySlackSignature(
  signingSecret: string,
  rawBody: Buffer,
  signature: string | undefined,
  timestamp: string | undefined,
  nowMs = Date.now(),
): SlackSignatureCheck {
  if (!signature || !timestamp) {
    return { ok: false, reason: 'X-Slack-Signature and X-Slack-Request-Timestamp are required' };
  }
  if (!/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'X-Slack-Request-Timestamp is not unix seconds' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SLACK_SIGNATURE_WINDOW_S) {
    return {
      ok: false,
      reason: 'X-Slack-Request-Timestamp is more than 5 minutes from now (replayed or stale)',
    };
  }
  const expected = Buffer.from(slackSignature(signingSecret, timestamp, rawBody));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'X-Slack-Signature does not match the body' };
  }
  return { ok: true };
}
