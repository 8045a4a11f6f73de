/**
 * Delay before reconnect `attempt` (1 = the first after a failure), ms: "full jitter" — uniform
 * in [0, min(maxMs, baseMs × 2^(attempt-1))]. Spreads the reconnects of many instances after a
 * provider outage instead of synchronising them (DESIGN.md §4, long-lived connections).
 */
export function reconnectDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, attempt - 1), 30));
  return Math.round(ceiling * random());
}
