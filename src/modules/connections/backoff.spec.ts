import { reconnectDelayMs } from './backoff';

describe('reconnectDelayMs (capped exponential backoff, full jitter)', () => {
  it('doubles the ceiling per attempt from the base, up to the cap', () => {
    const top = (attempt: number) => reconnectDelayMs(attempt, 1000, 60_000, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(top)).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000,
    ]);
    expect(top(10_000)).toBe(60_000);
  });

  it('draws uniformly below the ceiling (full jitter), never negative', () => {
    expect(reconnectDelayMs(3, 1000, 60_000, () => 0)).toBe(0);
    expect(reconnectDelayMs(3, 1000, 60_000, () => 0.25)).toBe(1000);
    const draws = Array.from({ length: 1000 }, () => reconnectDelayMs(4, 1000, 60_000));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThanOrEqual(8000);
    // spread: not all the same value (a fixed delay would resynchronise every instance)
    expect(new Set(draws).size).toBeGreaterThan(100);
  });
});
