/**
 * Delay before retry `attempt` (1 = the first retry): retryInterval × 2^(attempt-1), ±20 % jitter,
 * capped at maxDelayMs; a Retry-After from the receiver wins when larger (still capped).
 * All values in ms. See WEBHOOKS.md § Retries.
 */
export function retryDelayMs(
  attempt: number,
  retryIntervalMs: number,
  maxDelayMs: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const base = retryIntervalMs * 2 ** Math.max(0, attempt - 1);
  const jittered = base * (0.8 + 0.4 * random());
  const wanted = Math.max(jittered, retryAfterMs ?? 0);
  return Math.round(Math.min(wanted, maxDelayMs));
}

/** Parses `Retry-After` (delta seconds or HTTP date) into ms; undefined when absent or invalid. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
