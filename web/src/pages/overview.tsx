import { Link } from 'wouter';
import { api, ok } from '../api/client';
import type { Instance, SystemStats, UserStats } from '../api/types';
import { MessagesChart, type DayCounts } from '../components/messages-chart';
import { Empty, ErrorNotice, Loading, StatusBadge } from '../components/ui';
import { useLoad } from '../hooks';
import { useSession } from '../session';
import { useTitle } from '../title';

const CHART_DAYS = 14;

/** The last CHART_DAYS UTC days, oldest first, with zeros for days without usage. */
function lastDays(daily: UserStats['daily'], now = new Date()): DayCounts[] {
  const byDay = new Map(daily.map((d) => [d.date.slice(0, 10), d]));
  const out: DayCounts[] = [];
  for (let i = CHART_DAYS - 1; i >= 0; i--) {
    const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - i))
      .toISOString()
      .slice(0, 10);
    const d = byDay.get(day);
    out.push({ day, sent: d?.messagesSent ?? 0, received: d?.messagesReceived ?? 0 });
  }
  return out;
}

function countBy(instances: Instance[], key: (i: Instance) => string): [string, number][] {
  const m = new Map<string, number>();
  for (const i of instances) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1]);
}

export default function OverviewPage() {
  useTitle('Overview');
  const { isAdmin } = useSession();
  const instances = useLoad(
    () => ok(api.GET('/api/instances', { params: { query: { limit: 500 } } })),
    'instances',
  );
  const stats = useLoad(
    () => ok(api.GET('/api/stats/user', { params: { query: { period: 'month' } } })),
    'stats',
  );

  return (
    <>
      <h1>Overview</h1>
      <div className="grid">
        <section className="card" aria-labelledby="ov-instances">
          <h2 id="ov-instances">Instances</h2>
          {instances.loading && !instances.data && <Loading />}
          <ErrorNotice error={instances.error} onRetry={instances.reload} />
          {instances.data &&
            (instances.data.instances.length === 0 ? (
              <Empty>
                No instance yet. <Link href="/instances/new">Connect a bot</Link> to start.
              </Empty>
            ) : (
              <>
                <p className="figure">
                  <strong>{instances.data.pagination.total}</strong>{' '}
                  {instances.data.pagination.total === 1 ? 'instance' : 'instances'}
                </p>
                <h3>By provider</h3>
                <ul className="counts" aria-label="Instances by provider">
                  {countBy(instances.data.instances, (i) => i.provider).map(([provider, n]) => (
                    <li key={provider}>
                      <span>{provider}</span> <strong>{n}</strong>
                    </li>
                  ))}
                </ul>
                <h3>By status</h3>
                <ul className="counts" aria-label="Instances by status">
                  {countBy(instances.data.instances, (i) => i.status).map(([status, n]) => (
                    <li key={status}>
                      <StatusBadge status={status} /> <strong>{n}</strong>
                    </li>
                  ))}
                </ul>
              </>
            ))}
        </section>

        <section className="card" aria-labelledby="ov-deliveries">
          <h2 id="ov-deliveries">Webhook deliveries</h2>
          <p className="muted small">Last 30 days; succeeded ones are kept 7 days.</p>
          {stats.loading && !stats.data && <Loading />}
          <ErrorNotice error={stats.error} onRetry={stats.reload} />
          {stats.data && (
            <ul className="counts" aria-label="Deliveries by status">
              <li>
                <StatusBadge status="succeeded" />{' '}
                <strong data-testid="deliveries-succeeded">{stats.data.deliveries.succeeded}</strong>
              </li>
              <li>
                <StatusBadge status="failed" />{' '}
                <strong data-testid="deliveries-failed">{stats.data.deliveries.failed}</strong>
              </li>
              <li>
                <StatusBadge status="dead" />{' '}
                <strong data-testid="deliveries-dead">{stats.data.deliveries.dead}</strong>
              </li>
              <li>
                <StatusBadge status="pending" /> <strong>{stats.data.deliveries.pending}</strong>
              </li>
            </ul>
          )}
        </section>
      </div>

      <section className="card" aria-labelledby="ov-messages">
        <h2 id="ov-messages">Messages per day</h2>
        {stats.loading && !stats.data && <Loading />}
        {stats.data && (
          <>
            <p className="muted small">
              Last 30 days: {stats.data.total.messagesSent} sent, {stats.data.total.messagesReceived}{' '}
              received.
            </p>
            <MessagesChart days={lastDays(stats.data.daily)} />
          </>
        )}
      </section>

      {isAdmin && <SystemSection />}
    </>
  );
}

/** Gateway-wide figures, for admins only (the API answers 403 to others, so it is not even asked). */
function SystemSection() {
  const system = useLoad(
    () => ok(api.GET('/api/stats/system', { params: { query: { period: 'month' } } })),
    'system',
  );
  return (
    <section className="card" aria-labelledby="ov-system" data-testid="system-stats">
      <h2 id="ov-system">System (admin)</h2>
      {system.loading && !system.data && <Loading />}
      <ErrorNotice error={system.error} onRetry={system.reload} />
      {system.data && <SystemFigures s={system.data} />}
    </section>
  );
}

function SystemFigures({ s }: { s: SystemStats }) {
  return (
    <dl className="figures">
      <div>
        <dt>Users</dt>
        <dd>
          {s.users.total} ({s.users.active} active)
        </dd>
      </div>
      <div>
        <dt>Instances</dt>
        <dd>
          {s.instances.total} ({s.instances.active} connected)
        </dd>
      </div>
      <div>
        <dt>Messages, 30 days</dt>
        <dd>
          {s.usage.messagesSent} sent, {s.usage.messagesReceived} received
        </dd>
      </div>
      <div>
        <dt>API calls, 30 days</dt>
        <dd>{s.usage.apiCalls}</dd>
      </div>
      <div>
        <dt>Webhooks sent, 30 days</dt>
        <dd>{s.usage.webhookSent}</dd>
      </div>
    </dl>
  );
}
