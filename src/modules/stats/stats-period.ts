import { utcDay } from '../usage/usage-counts';

export const USER_PERIODS = ['week', 'month', 'year', 'all'] as const;
export const INSTANCE_PERIODS = ['today', 'week', 'month', 'all'] as const;
export type StatsPeriod = 'today' | 'week' | 'month' | 'year' | 'all';

const DAYS: Record<Exclude<StatsPeriod, 'all'>, number> = { today: 1, week: 7, month: 30, year: 365 };

/**
 * First UTC day (`YYYY-MM-DD`) a period covers, today included: today = 1 day, week = 7,
 * month = 30, year = 365; `all` → null (no lower bound).
 */
export function periodStart(period: StatsPeriod, now: Date = new Date()): string | null {
  if (period === 'all') return null;
  const start = new Date(now.getTime());
  start.setUTCDate(start.getUTCDate() - (DAYS[period] - 1));
  return utcDay(start);
}
