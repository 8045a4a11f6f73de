/** The seeds' usage counter names (multi-instance-api.md § Статистика), in column order of `usage_daily`. */
export const USAGE_FIELDS = [
  'messagesSent',
  'messagesReceived',
  'mediaSent',
  'mediaReceived',
  'totalMediaSize',
  'apiCalls',
  'webhookSent',
] as const;
export type UsageField = (typeof USAGE_FIELDS)[number];
export type UsageCounts = Record<UsageField, number>;

/** `usage_daily` column of each counter. */
export const USAGE_COLUMNS: Record<UsageField, string> = {
  messagesSent: 'messages_sent',
  messagesReceived: 'messages_received',
  mediaSent: 'media_sent',
  mediaReceived: 'media_received',
  totalMediaSize: 'media_bytes',
  apiCalls: 'api_calls',
  webhookSent: 'webhooks_sent',
};

export const emptyUsage = (): UsageCounts => ({
  messagesSent: 0,
  messagesReceived: 0,
  mediaSent: 0,
  mediaReceived: 0,
  totalMediaSize: 0,
  apiCalls: 0,
  webhookSent: 0,
});

/** The UTC day of `at` as `YYYY-MM-DD` (the `usage_daily.date` key). */
export const utcDay = (at: Date = new Date()): string => at.toISOString().slice(0, 10);

let cachedDay = '';
let cachedUntil = 0;

/** `utcDay()` for now, recomputed only when the UTC day ends (hot paths call this per message). */
export function currentUtcDay(now: number = Date.now()): string {
  if (now >= cachedUntil || now < cachedUntil - 86_400_000) {
    const d = new Date(now);
    cachedDay = utcDay(d);
    cachedUntil = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  }
  return cachedDay;
}

/** Adds `b` into `a` (mutates and returns `a`). */
export function addUsage(a: UsageCounts, b: Partial<UsageCounts>): UsageCounts {
  for (const f of USAGE_FIELDS) a[f] += b[f] ?? 0;
  return a;
}
