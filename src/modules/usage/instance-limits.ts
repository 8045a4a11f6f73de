import type { UsageCounts, UsageField } from './usage-counts';

/** Limit name (as in `instances.limits` and the `limit_exceeded` event) → the counter it caps. */
export const LIMIT_FIELDS = {
  maxMessagesSent: 'messagesSent',
  maxMediaSent: 'mediaSent',
  maxApiCalls: 'apiCalls',
} as const satisfies Record<string, UsageField>;
export type LimitName = keyof typeof LIMIT_FIELDS;

export interface ExceededLimit {
  limit: LimitName;
  max: number;
  field: UsageField;
  used: number;
}

/**
 * The first of `names` whose daily maximum is already reached by `usage` (used ≥ max), i.e.
 * one more request would go over it; null when every limit leaves room or none is set.
 */
export function reachedLimit(
  limits: Record<string, unknown> | null | undefined,
  usage: UsageCounts,
  names: LimitName[],
): ExceededLimit | null {
  for (const limit of names) {
    const max = limits?.[limit];
    if (typeof max !== 'number' || !Number.isFinite(max)) continue;
    const field = LIMIT_FIELDS[limit];
    if (usage[field] >= max) return { limit, max, field, used: usage[field] };
  }
  return null;
}

/** Whether any of `names` is set on the instance (saves the usage lookup when none is). */
export const hasLimits = (limits: Record<string, unknown> | null | undefined, names: LimitName[]): boolean =>
  names.some((n) => typeof limits?.[n] === 'number');

/** Seconds until the next UTC midnight, when daily limits reset (Retry-After). */
export function secondsUntilUtcMidnight(now: Date = new Date()): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}
