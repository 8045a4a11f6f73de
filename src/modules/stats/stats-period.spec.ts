import { periodStart } from './stats-period';

describe('periodStart', () => {
  const now = new Date('2026-03-01T10:00:00Z');
  it('counts today as the first day of every period', () => {
    expect(periodStart('today', now)).toBe('2026-03-01');
    expect(periodStart('week', now)).toBe('2026-02-23');
    expect(periodStart('month', now)).toBe('2026-01-31');
    expect(periodStart('year', now)).toBe('2025-03-02');
    expect(periodStart('all', now)).toBeNull();
  });
});
