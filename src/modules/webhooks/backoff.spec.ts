import { parseRetryAfter, retryDelayMs } from './backoff';

describe('retryDelayMs', () => {
  it('doubles from retryInterval per attempt', () => {
    const mid = () => 0.5; // no jitter
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 1000, 1e9, undefined, mid))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
  });

  it('keeps jitter within ±20 %', () => {
    expect(retryDelayMs(1, 1000, 1e9, undefined, () => 0)).toBe(800);
    expect(retryDelayMs(1, 1000, 1e9, undefined, () => 0.999999)).toBe(1200);
  });

  it('caps the delay and honours a larger Retry-After, still capped', () => {
    expect(retryDelayMs(30, 60_000, 3_600_000, undefined, () => 0.5)).toBe(3_600_000);
    expect(retryDelayMs(1, 100, 10_000, 5_000, () => 0.5)).toBe(5_000);
    expect(retryDelayMs(1, 100, 10_000, 60_000, () => 0.5)).toBe(10_000);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta seconds and HTTP dates', () => {
    expect(parseRetryAfter('35')).toBe(35_000);
    const now = Date.parse('2026-11-21T10:00:00Z');
    expect(parseRetryAfter('Sat, 21 Nov 2026 10:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
