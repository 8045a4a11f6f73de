import { useState } from 'react';
import { Link, useParams } from 'wouter';
import { api, ok } from '../api/client';
import { Empty, ErrorNotice, Loading, Pager, fullTime } from '../components/ui';
import { useLiveEvents, useLoad } from '../hooks';
import { useTitle } from '../title';

const PAGE = 50;

/** An instance's activity log (created, connected, disconnected, webhook changes…), newest first. */
export default function ActivityPage() {
  useTitle('Activity');
  const { id } = useParams<{ id: string }>();
  const [skip, setSkip] = useState(0);
  const [action, setAction] = useState('');
  const logs = useLoad(
    () =>
      ok(
        api.GET('/api/instances/{id}/activity', {
          params: { path: { id }, query: { limit: PAGE, skip, ...(action ? { actions: action } : {}) } },
        }),
      ),
    `activity:${id}:${skip}:${action}`,
  );
  useLiveEvents((e) => {
    if (
      e.instanceId === id &&
      ['connected', 'disconnected', 'qr_received', 'webhook_updated'].includes(e.event)
    )
      logs.reload();
  }, logs.reload);

  return (
    <>
      <p>
        <Link href={`/instances/${id}`}>← Instance</Link>
      </p>
      <h1>Activity</h1>
      <div className="filters">
        <label>
          Action
          <select
            value={action}
            onChange={(e) => {
              setAction(e.target.value);
              setSkip(0);
            }}
          >
            <option value="">All</option>
            {[
              'created',
              'connected',
              'disconnected',
              'qr_received',
              'webhook_updated',
              'webhook_disabled',
            ].map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
      </div>
      {logs.loading && !logs.data && <Loading />}
      <ErrorNotice error={logs.error} onRetry={logs.reload} />
      {logs.data &&
        (logs.data.logs.length === 0 ? (
          <Empty>Nothing recorded{action ? ` for ${action}` : ''} yet.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Activity log, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {logs.data.logs.map((l) => (
                  <tr key={l.id}>
                    <td>{fullTime(l.createdAt)}</td>
                    <td>{l.action}</td>
                    <td>
                      <code className="wrap">{JSON.stringify(l.details)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      <Pager pagination={logs.data?.pagination} onSkip={setSkip} />
    </>
  );
}
