import { useEffect, useState } from 'react';
import { Link, useParams } from 'wouter';
import { api, ok } from '../api/client';
import { ErrorNotice, Loading, StatusBadge, fullTime } from '../components/ui';
import { useLoad } from '../hooks';
import { useTitle } from '../title';

const REFRESH_MS = 1000;

/** One delivery: its envelope, every attempt with the endpoint's answer, and retry. */
export default function DeliveryPage() {
  useTitle('Delivery');
  const { id } = useParams<{ id: string }>();
  const detail = useLoad(
    () => ok(api.GET('/api/webhook-deliveries/{id}', { params: { path: { id } } })),
    `delivery:${id}`,
  );
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const d = detail.data?.delivery;
  const inProgress = d?.status === 'pending' || d?.status === 'failed';
  useEffect(() => {
    if (!inProgress) return;
    const t = setInterval(detail.reload, REFRESH_MS);
    return () => clearInterval(t);
  }, [inProgress, detail.reload]);

  if (detail.loading && !detail.data) return <Loading />;
  if (!detail.data || !d) return <ErrorNotice error={detail.error} onRetry={detail.reload} />;
  return (
    <>
      <p>
        <Link href={`/deliveries?instance=${d.instanceId}`}>← Deliveries</Link>
      </p>
      <div className="page-head">
        <h1>
          Delivery of <code>{d.event}</code>
        </h1>
        <span data-testid="status">
          <StatusBadge status={d.status} />
        </span>
      </div>
      <dl className="figures">
        <div>
          <dt>URL</dt>
          <dd className="wrap">{d.url}</dd>
        </div>
        <div>
          <dt>webhook-id</dt>
          <dd>
            <code>{d.eventId}</code>
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{fullTime(d.createdAt)}</dd>
        </div>
        <div>
          <dt>Next attempt</dt>
          <dd>{d.nextAttemptAt ? fullTime(d.nextAttemptAt) : '—'}</dd>
        </div>
        <div>
          <dt>Last error</dt>
          <dd>{d.lastError ?? '—'}</dd>
        </div>
      </dl>
      <div className="actions page-actions">
        <button
          type="button"
          disabled={busy || inProgress}
          title={inProgress ? 'Still being attempted' : undefined}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await ok(api.POST('/api/webhook-deliveries/{id}/retry', { params: { path: { id } } }));
              detail.reload();
            } catch (err) {
              setError(err);
            } finally {
              setBusy(false);
            }
          }}
        >
          {busy ? 'Retrying…' : 'Retry'}
        </button>
      </div>
      <ErrorNotice error={error} />
      <section aria-labelledby="attempts">
        <h2 id="attempts">Attempts</h2>
        {detail.data.attempts.length === 0 ? (
          <p className="muted">No attempt yet.</p>
        ) : (
          <ol className="attempts">
            {detail.data.attempts.map((a) => (
              <li key={a.attempt} className="card" data-attempt={a.attempt}>
                <p>
                  <strong>#{a.attempt}</strong> · {fullTime(a.createdAt)} · {a.durationMs} ms ·{' '}
                  <span data-testid="attempt-result">{a.statusCode ?? a.error ?? 'no answer'}</span>
                  {a.error && a.statusCode ? ` (${a.error})` : ''}
                </p>
                {a.responseSnippet && <pre className="snippet">{a.responseSnippet}</pre>}
              </li>
            ))}
          </ol>
        )}
      </section>
      <details>
        <summary>Envelope as sent</summary>
        <pre className="snippet">{JSON.stringify(detail.data.envelope, null, 2)}</pre>
      </details>
    </>
  );
}
