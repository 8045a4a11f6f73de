/**
 * Rejects with `Error("<what> timed out after <ms> ms")` when `p` takes longer than `ms`. ioredis
 * holds commands while Redis is unreachable (maxRetriesPerRequest: null), so whatever must not
 * wait for Redis to come back (shutdown, lease renewal) goes through this.
 */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
