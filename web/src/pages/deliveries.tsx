import { useEffect, useState, type FormEvent } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api, ok, type Res } from '../api/client';
import {
  DELIVERY_STATUSES as STATUSES,
  EVENT_TYPES as EVENTS,
  type DeliveryStatus as Status,
  type EventType,
} from '../api/types';
import { Empty, ErrorNotice, Loading, Pager, StatusBadge, fullTime } from '../components/ui';
import { useLoad } from '../hooks';
import { useTitle } from '../title';

const PAGE = 25;
/** While deliveries are still being attempted the log refreshes itself, ms. */
const REFRESH_MS = 2000;

/** `datetime-local` value → ISO 8601 (the browser's time zone), or undefined. */
const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

/**
 * The webhook delivery log of one instance with filters (status, event, time), pagination, the
 * replay of a time range and a test event. Filters live in the URL, so a delivery's page links back.
 */
export default function DeliveriesPage() {
  useTitle('Deliveries');
  const [, navigate] = useLocation();
  const query = new URLSearchParams(useSearch());
  const instances = useLoad(
    () => ok(api.GET('/api/instances', { params: { query: { limit: 500 } } })),
    'instances',
  );
  const instanceId = query.get('instance') ?? instances.data?.instances[0]?.id ?? '';
  const status = (query.get('status') ?? '') as Status | '';
  const event = (query.get('event') ?? '') as EventType | '';
  const since = query.get('since') ?? '';
  const until = query.get('until') ?? '';
  const skip = Number(query.get('skip') ?? 0);

  const setQuery = (changes: Record<string, string>) => {
    const next = new URLSearchParams({ instance: instanceId, status, event, since, until, ...changes });
    if (!('skip' in changes)) next.delete('skip');
    for (const [k, v] of [...next.entries()]) if (!v || v === '0') next.delete(k);
    navigate(`/deliveries?${next}`);
  };

  const log = useLoad(
    () =>
      instanceId
        ? ok(
            api.GET('/api/instances/{id}/webhook-deliveries', {
              params: {
                path: { id: instanceId },
                query: {
                  limit: PAGE,
                  skip,
                  ...(status ? { status } : {}),
                  ...(event ? { event } : {}),
                  ...(since ? { since: iso(since) } : {}),
                  ...(until ? { until: iso(until) } : {}),
                },
              },
            }),
          )
        : Promise.resolve(null),
    `deliveries:${instanceId}:${status}:${event}:${since}:${until}:${skip}`,
  );
  const active = log.data?.deliveries.some((d) => d.status === 'pending' || d.status === 'failed');
  useEffect(() => {
    if (!active) return;
    const t = setInterval(log.reload, REFRESH_MS);
    return () => clearInterval(t);
  }, [active, log.reload]);

  if (instances.loading && !instances.data) return <Loading />;
  if (instances.error) return <ErrorNotice error={instances.error} onRetry={instances.reload} />;
  if (!instances.data?.instances.length)
    return (
      <>
        <h1>Deliveries</h1>
        <Empty>
          No instance yet: <Link href="/instances/new">create one</Link> with a webhook URL.
        </Empty>
      </>
    );

  return (
    <>
      <h1>Deliveries</h1>
      <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Instance
          <select value={instanceId} onChange={(e) => setQuery({ instance: e.target.value })}>
            {instances.data.instances.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => setQuery({ status: e.target.value })}>
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Event
          <select value={event} onChange={(e) => setQuery({ event: e.target.value })}>
            <option value="">All</option>
            {EVENTS.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" value={since} onChange={(e) => setQuery({ since: e.target.value })} />
        </label>
        <label>
          To
          <input type="datetime-local" value={until} onChange={(e) => setQuery({ until: e.target.value })} />
        </label>
        <button type="button" className="secondary" onClick={log.reload}>
          Refresh
        </button>
      </form>
      <p className="muted small">
        pending: not attempted yet · failed: the last attempt failed, another follows · succeeded · dead:
        failed with no retry left (retry it from its page)
      </p>
      {log.loading && !log.data && <Loading />}
      <ErrorNotice error={log.error} onRetry={log.reload} />
      {log.data &&
        (log.data.deliveries.length === 0 ? (
          <Empty>No delivery matches these filters.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Webhook deliveries, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Created</th>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last answer</th>
                </tr>
              </thead>
              <tbody>
                {log.data.deliveries.map((d) => (
                  <tr key={d.id} data-delivery={d.id} data-event={d.event}>
                    <td>
                      <Link href={`/deliveries/${d.id}`}>{fullTime(d.createdAt)}</Link>
                    </td>
                    <td>{d.event}</td>
                    <td data-testid="status">
                      <StatusBadge status={d.status} />
                    </td>
                    <td>{d.attempts}</td>
                    <td>{d.lastStatusCode ?? d.lastError ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      <Pager pagination={log.data?.pagination} onSkip={(s) => setQuery({ skip: String(s) })} />
      <div className="grid">
        <TestEvent instanceId={instanceId} onDone={log.reload} />
        <Replay instanceId={instanceId} onDone={log.reload} />
      </div>
    </>
  );
}

function TestEvent({ instanceId, onDone }: { instanceId: string; onDone: () => void }) {
  const [result, setResult] = useState<Res<'/api/instances/{id}/webhook/test', 'post'> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section className="card" aria-labelledby="test-event">
      <h2 id="test-event">Test event</h2>
      <p className="muted small">
        Sends a signed `webhook_test` event now, once, even while the webhook is off.
      </p>
      <button
        type="button"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            setResult(
              await ok(
                api.POST('/api/instances/{id}/webhook/test', { params: { path: { id: instanceId } } }),
              ),
            );
            onDone();
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Sending…' : 'Send a test event'}
      </button>
      <ErrorNotice error={error} />
      {result && (
        <p className="notice" role="status">
          {result.delivered ? 'Delivered' : 'Not delivered'}: {result.statusCode ?? result.error} in{' '}
          {result.durationMs} ms. <Link href={`/deliveries/${result.deliveryId}`}>Details</Link>
        </p>
      )}
    </section>
  );
}

function Replay({ instanceId, onDone }: { instanceId: string; onDone: () => void }) {
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [status, setStatus] = useState<Status | ''>('');
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const r = await ok(
        api.POST('/api/instances/{id}/webhook-deliveries/replay', {
          params: { path: { id: instanceId } },
          body: {
            since: iso(since)!,
            ...(until ? { until: iso(until) } : {}),
            ...(status ? { status } : {}),
          },
        }),
      );
      setResult(
        `${r.replayed} events queued again${r.truncated ? ' (more remain: replay again from the last one)' : ''}.`,
      );
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="replay">
      <h2 id="replay">Replay a time range</h2>
      <form className="stack" onSubmit={submit}>
        <div className="row">
          <label>
            From *
            <input type="datetime-local" required value={since} onChange={(e) => setSince(e.target.value)} />
          </label>
          <label>
            To
            <input type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
          </label>
          <label>
            Only events whose delivery is
            <select value={status} onChange={(e) => setStatus(e.target.value as Status | '')}>
              <option value="">any status</option>
              {STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
        </div>
        <ErrorNotice error={error} />
        {result && (
          <p className="notice" role="status">
            {result}
          </p>
        )}
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Replaying…' : 'Replay'}
          </button>
        </div>
      </form>
    </section>
  );
}
