import { useState } from 'react';
import { Link } from 'wouter';
import { api, ok } from '../api/client';
import type { Instance } from '../api/types';
import { Empty, ErrorNotice, Loading, Pager, StatusBadge, when } from '../components/ui';
import { useLiveEvents, useLoad } from '../hooks';
import { liveStatus } from '../model';
import { useTitle } from '../title';

const PAGE = 25;

export default function InstancesPage() {
  useTitle('Instances');
  const [skip, setSkip] = useState(0);
  const list = useLoad(
    () => ok(api.GET('/api/instances', { params: { query: { limit: PAGE, skip } } })),
    `instances:${skip}`,
  );
  const [live, setLive] = useState<Record<string, string>>({});
  useLiveEvents((e) => {
    const status = liveStatus(e.event, e.data);
    if (status) setLive((l) => ({ ...l, [e.instanceId]: status }));
  }, list.reload);

  return (
    <>
      <div className="page-head">
        <h1>Instances</h1>
        <Link className="button" href="/instances/new">
          New instance
        </Link>
      </div>
      {list.loading && !list.data && <Loading />}
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.data &&
        (list.data.instances.length === 0 ? (
          <Empty>
            No instance yet. <Link href="/instances/new">Create one</Link> with a bot token or account
            credentials.
          </Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Your instances; statuses update live</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Status</th>
                  <th scope="col">Webhook</th>
                  <th scope="col">Last activity</th>
                </tr>
              </thead>
              <tbody>
                {list.data.instances.map((i: Instance) => (
                  <tr key={i.id} data-instance={i.id}>
                    <th scope="row">
                      <Link href={`/instances/${i.id}`}>{i.name}</Link>
                    </th>
                    <td>{i.provider}</td>
                    <td data-testid="status">
                      <StatusBadge status={live[i.id] ?? i.status} />
                    </td>
                    <td>
                      {i.webhookEnabled
                        ? 'on'
                        : i.webhookDisabledReason
                          ? `off (${i.webhookDisabledReason})`
                          : 'off'}
                    </td>
                    <td>{when(i.lastActivity)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      <Pager pagination={list.data?.pagination} onSkip={setSkip} />
    </>
  );
}
