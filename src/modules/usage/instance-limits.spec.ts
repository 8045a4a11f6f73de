import { hasLimits, reachedLimit, secondsUntilUtcMidnight } from './instance-limits';
import { emptyUsage } from './usage-counts';

describe('instance limits', () => {
  it('is reached when the counter equals or exceeds the maximum', () => {
    const usage = { ...emptyUsage(), messagesSent: 3, apiCalls: 10 };
    expect(reachedLimit({ maxMessagesSent: 4 }, usage, ['maxMessagesSent'])).toBeNull();
    expect(reachedLimit({ maxMessagesSent: 3 }, usage, ['maxMessagesSent'])).toEqual({
      limit: 'maxMessagesSent',
      max: 3,
      field: 'messagesSent',
      used: 3,
    });
    expect(reachedLimit({ maxApiCalls: 5 }, usage, ['maxMessagesSent'])).toBeNull();
    expect(reachedLimit({}, usage, ['maxMessagesSent', 'maxApiCalls'])).toBeNull();
    expect(reachedLimit({ maxMediaSent: 0 }, usage, ['maxMediaSent'])?.limit).toBe('maxMediaSent');
  });

  it('ignores non-numeric values', () => {
    expect(hasLimits({ maxMessagesSent: '3' }, ['maxMessagesSent'])).toBe(false);
    expect(hasLimits({ maxMessagesSent: 3 }, ['maxApiCalls', 'maxMessagesSent'])).toBe(true);
  });

  it('resets at UTC midnight', () => {
    expect(secondsUntilUtcMidnight(new Date('2026-01-01T23:59:30Z'))).toBe(30);
    expect(secondsUntilUtcMidnight(new Date('2026-01-01T00:00:00Z'))).toBe(86_400);
  });
});
