import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../../common/auth/principal';
import { InstancesService } from '../instances/instances.service';
import { ProviderRegistry } from '../providers/provider-registry';
import { emptyUsage, USAGE_COLUMNS, USAGE_FIELDS, UsageCounts } from '../usage/usage-counts';
import type { DeliveryStatus } from '../webhooks/webhook-delivery.entity';
import { periodStart, StatsPeriod } from './stats-period';

/** `sum(col)::float8 AS "field"` for every counter (bigint sums exceed JS-safe ints only past 2^53). */
const SUMS = USAGE_FIELDS.map((f) => `COALESCE(sum(u.${USAGE_COLUMNS[f]}), 0)::float8 AS "${f}"`).join(', ');

const pickUsage = (row: Record<string, unknown> | undefined): UsageCounts => {
  const out = emptyUsage();
  for (const f of USAGE_FIELDS) out[f] = Number(row?.[f] ?? 0);
  return out;
};

/**
 * Usage statistics in the seeds' shapes (multi-instance-api.md § Статистика) from `usage_daily`.
 * They show flushed counts: what hot paths counted in the last USAGE_FLUSH_INTERVAL_MS may not
 * be in yet.
 */
@Injectable()
export class StatsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly instances: InstancesService,
    private readonly providers: ProviderRegistry,
  ) {}

  /**
   * The caller's own instances: `{period, total: {…counters, instanceCount}, instances: [{instanceId,
   * name, provider, …counters}], daily: [{date (ISO, UTC midnight), …counters}], deliveries:
   * {pending, failed, succeeded, dead}}`, every instance listed even without usage.
   */
  async user(principal: Principal, period: StatsPeriod = 'month') {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT i.id, i.name, i.provider, ${SUMS}
         FROM instances i
         LEFT JOIN usage_daily u ON u.instance_id = i.id AND ($2::date IS NULL OR u.date >= $2::date)
        WHERE i.user_id = $1
        GROUP BY i.id ORDER BY i.created_at`,
      [principal.userId, periodStart(period)],
    );
    const total = emptyUsage();
    const instances = rows.map((r) => {
      const usage = pickUsage(r);
      for (const f of USAGE_FIELDS) total[f] += usage[f];
      return { instanceId: r.id as string, name: r.name as string, provider: r.provider as string, ...usage };
    });
    const [daily, deliveries] = await Promise.all([
      this.userDaily(principal.userId, period),
      this.userDeliveries(principal.userId, period),
    ]);
    return { period, total: { ...total, instanceCount: instances.length }, instances, daily, deliveries };
  }

  /** The caller's counters per UTC day over all their instances, days with usage only, oldest first. */
  private async userDaily(userId: string, period: StatsPeriod) {
    const days: Record<string, unknown>[] = await this.db.query(
      `SELECT to_char(u.date, 'YYYY-MM-DD') AS day, ${SUMS}
         FROM usage_daily u JOIN instances i ON i.id = u.instance_id
        WHERE i.user_id = $1 AND ($2::date IS NULL OR u.date >= $2::date)
        GROUP BY u.date ORDER BY u.date`,
      [userId, periodStart(period)],
    );
    return days.map((d) => ({ date: `${String(d.day)}T00:00:00.000Z`, ...pickUsage(d) }));
  }

  /**
   * The caller's webhook deliveries created in the period, by status. Succeeded and dead ones are
   * deleted after WEBHOOK_RETENTION_SUCCEEDED_MS / WEBHOOK_RETENTION_DEAD_MS, so older ones are not counted.
   */
  private async userDeliveries(userId: string, period: StatsPeriod) {
    const rows: { status: DeliveryStatus; n: number }[] = await this.db.query(
      `SELECT d.status, count(*)::int AS n
         FROM webhook_deliveries d JOIN instances i ON i.id = d.instance_id
        WHERE i.user_id = $1 AND ($2::date IS NULL OR d.created_at >= $2::date)
        GROUP BY d.status`,
      [userId, periodStart(period)],
    );
    const counts: Record<DeliveryStatus, number> = { pending: 0, failed: 0, succeeded: 0, dead: 0 };
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }

  /**
   * One instance (owner or admin; others 404): `{instanceId, period, usage: {…counters,
   * dailyStats: [{date (ISO, UTC midnight), …counters}]}}`, days with usage only, oldest first.
   */
  async instance(principal: Principal, instanceId: string, period: StatsPeriod = 'today') {
    const instance = await this.instances.get(principal, instanceId);
    const cols = USAGE_FIELDS.map((f) => `u.${USAGE_COLUMNS[f]}::float8 AS "${f}"`).join(', ');
    const days: Record<string, unknown>[] = await this.db.query(
      `SELECT to_char(u.date, 'YYYY-MM-DD') AS day, ${cols}
         FROM usage_daily u WHERE u.instance_id = $1 AND ($2::date IS NULL OR u.date >= $2::date)
        ORDER BY u.date`,
      [instance.id, periodStart(period)],
    );
    const usage = emptyUsage();
    const dailyStats = days.map((d) => {
      const counts = pickUsage(d);
      for (const f of USAGE_FIELDS) usage[f] += counts[f];
      return { date: `${String(d.day)}T00:00:00.000Z`, ...counts };
    });
    return { instanceId: instance.id, period, usage: { ...usage, dailyStats } };
  }

  /**
   * Whole gateway (admins): `{period, instances: {total, active}, users: {total, active},
   * usage: {…counters}, providers: {<provider>: {count, active}}}`; active instance = connected,
   * active user = not deactivated.
   */
  async system(period: StatsPeriod = 'all') {
    const [[inst], [users], [usage], byProvider] = await Promise.all([
      this.db.query(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'connected')::int AS active FROM instances`,
      ),
      this.db.query(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE is_active)::int AS active FROM users`,
      ),
      this.db.query(`SELECT ${SUMS} FROM usage_daily u WHERE ($1::date IS NULL OR u.date >= $1::date)`, [
        periodStart(period),
      ]),
      this.db.query(
        `SELECT provider, count(*)::int AS count, count(*) FILTER (WHERE status = 'connected')::int AS active
           FROM instances GROUP BY provider ORDER BY provider`,
      ),
    ]);
    return {
      period,
      instances: inst,
      users,
      usage: pickUsage(usage),
      providers: Object.fromEntries(
        (byProvider as { provider: string; count: number; active: number }[]).map((p) => [
          p.provider,
          { count: p.count, active: p.active },
        ]),
      ),
    };
  }

  /**
   * The system document's `GET /stats`: `{stats: {<Provider label>: {count, instances: [ids]}},
   * timestamp}` over the caller's instances (admins: all).
   */
  async byProvider(principal: Principal) {
    const rows: { provider: string; ids: string[] }[] = await this.db.query(
      `SELECT provider, array_agg(id::text ORDER BY created_at) AS ids FROM instances
        WHERE $1::uuid IS NULL OR user_id = $1 GROUP BY provider ORDER BY provider`,
      [principal.role === 'admin' ? null : principal.userId],
    );
    return {
      stats: Object.fromEntries(
        rows.map((r) => [
          // display names (the adapter's `label`) are the system document's keys
          this.providers.label(r.provider),
          { count: r.ids.length, instances: r.ids },
        ]),
      ),
      timestamp: new Date().toISOString(),
    };
  }
}
