import { useState, type FormEvent } from 'react';
import { Link, useLocation, useParams } from 'wouter';
import { api, ok } from '../api/client';
import type { Capabilities, InstanceDetail } from '../api/types';
import { ConfirmButton, ErrorNotice, Loading, SecretOnce, StatusBadge, fullTime } from '../components/ui';
import { WebhookFields, type WebhookValues } from '../components/webhook-fields';
import { useLiveEvents, useLoad } from '../hooks';
import { useTitle } from '../title';
import { accountName, liveStatus } from '../model';

/** Statuses in which an instance that logs in by QR waits for the phone (its link page has the QR). */
const NEEDS_LINK = ['waiting_for_qr', 'needs_reauth'];

export default function InstancePage() {
  const { id } = useParams<{ id: string }>();
  const instance = useLoad(
    () => ok(api.GET('/api/instances/{id}', { params: { path: { id } } })),
    `instance:${id}`,
  );
  const capabilities = useLoad(
    () => ok(api.GET('/api/instances/{id}/capabilities', { params: { path: { id } } })),
    `capabilities:${id}`,
  );
  const [status, setStatus] = useState<string | null>(null);
  useLiveEvents((e) => {
    if (e.instanceId !== id) return;
    const s = liveStatus(e.event, e.data);
    if (s) setStatus(s);
    // a status event changes the reason and account too (shown below the name)
    if (s || e.event === 'webhook_updated') instance.reload();
  }, instance.reload);
  useTitle(instance.data?.name ?? 'Instance');

  if (instance.loading && !instance.data) return <Loading />;
  if (!instance.data) return <ErrorNotice error={instance.error} onRetry={instance.reload} />;
  const i = instance.data;
  const current = status ?? i.status;
  return (
    <>
      <p>
        <Link href="/instances">← Instances</Link>
      </p>
      <div className="page-head">
        <h1>{i.name}</h1>
        <span data-testid="status">
          <StatusBadge status={current} />
        </span>
      </div>
      <p className="muted">
        {i.provider}
        {accountName(i) ? ` · ${accountName(i)}` : ''} · created {fullTime(i.createdAt)}
        {i.statusReason ? ` · ${i.statusReason}` : ''}
      </p>
      <nav className="links" aria-label="This instance">
        <Link href={`/inbox?instance=${i.id}`}>Inbox</Link>
        <Link href={`/deliveries?instance=${i.id}`}>Deliveries</Link>
        <Link href={`/instances/${i.id}/activity`}>Activity</Link>
        {capabilities.data?.qrLogin && <Link href={`/instances/${i.id}/link`}>Link by QR</Link>}
      </nav>
      {capabilities.data?.qrLogin && NEEDS_LINK.includes(current) && (
        <section className="card call-to-action" aria-labelledby="link-cta">
          <h2 id="link-cta">This phone is not linked yet</h2>
          <p>Scan a QR code (or type a pairing code) on the phone to start receiving messages.</p>
          <Link className="button" href={`/instances/${i.id}/link`}>
            Link this phone
          </Link>
        </section>
      )}
      <ErrorNotice error={instance.error} />
      <Actions instance={i} onChanged={instance.reload} />
      <div className="grid">
        <WebhookSettings instance={i} onSaved={instance.reload} />
        <section className="card" aria-labelledby="caps">
          <h2 id="caps">Capabilities</h2>
          {capabilities.loading && !capabilities.data && <Loading />}
          <ErrorNotice error={capabilities.error} onRetry={capabilities.reload} />
          {capabilities.data && <CapabilityList c={capabilities.data} />}
        </section>
      </div>
    </>
  );
}

function Actions({ instance, onChanged }: { instance: InstanceDetail; onChanged: () => void }) {
  const [, navigate] = useLocation();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const path = { params: { path: { id: instance.id } } };

  async function run(what: string, action: () => Promise<string>) {
    setBusy(what);
    setError(null);
    setMessage(null);
    try {
      setMessage(await action());
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section aria-label="Actions" className="stack page-actions">
      <div className="actions">
        <button
          type="button"
          className="secondary"
          disabled={!!busy}
          onClick={() =>
            run('reconnect', async () => {
              const r = await ok(api.POST('/api/instances/{id}/reconnect', path));
              return r.success ? 'Reconnected.' : `Not connected: ${r.reason ?? r.status}`;
            })
          }
        >
          {busy === 'reconnect' ? 'Reconnecting…' : 'Reconnect'}
        </button>
        <ConfirmButton
          label="Log out"
          question="Stop receiving messages on this instance? Reconnect resumes."
          confirmLabel="Log out"
          onConfirm={() =>
            run('logout', async () => (await ok(api.POST('/api/instances/{id}/logout', path))).message)
          }
        />
        <ConfirmButton
          label="Rotate webhook secret"
          question="A new signing secret replaces the current one; the old one keeps signing for 24 hours."
          confirmLabel="Rotate"
          onConfirm={() =>
            run('rotate', async () => {
              const r = await ok(
                api.POST('/api/instances/{id}/webhook/rotate-secret', { ...path, body: {} }),
              );
              setSecret(r.webhookSecret);
              return 'Secret rotated.';
            })
          }
        />
        <ConfirmButton
          label="Delete instance"
          danger
          question={
            <p>
              Delete <strong>{instance.name}</strong> with its chats, messages, contacts and events? This
              cannot be undone.
            </p>
          }
          confirmLabel="Delete"
          onConfirm={async () => {
            await ok(api.DELETE('/api/instances/{id}', path));
            navigate('/instances');
          }}
        />
      </div>
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      <ErrorNotice error={error} />
      {secret && (
        <SecretOnce label="New webhook signing secret" secret={secret} onDone={() => setSecret(null)} />
      )}
    </section>
  );
}

function WebhookSettings({ instance, onSaved }: { instance: InstanceDetail; onSaved: () => void }) {
  const s = instance.webhookSettings;
  const [values, setValues] = useState<WebhookValues>({
    webhookUrl: instance.webhookUrl ?? '',
    webhookEnabled: instance.webhookEnabled,
    notifyReceived: s.notifyReceived,
    notifySent: s.notifySent,
    notifyDelivery: s.notifyDelivery,
    notifyRead: s.notifyRead,
    maxRetries: s.maxRetries,
    retryInterval: s.retryInterval,
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const r = await ok(
        api.PUT('/api/instances/{id}', {
          params: { path: { id: instance.id } },
          body: { ...values, ...(values.webhookUrl ? {} : { webhookUrl: undefined, webhookEnabled: false }) },
        }),
      );
      setSaved(
        r.replay ? `Saved. Events since ${r.replay.since} can be replayed from Deliveries.` : 'Saved.',
      );
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="wh">
      <h2 id="wh">Webhook settings</h2>
      {instance.webhookDisabledReason && (
        <p className="error" role="status">
          The gateway turned this webhook off ({instance.webhookDisabledReason}) at{' '}
          {fullTime(instance.webhookDisabledAt)}. Enable it again to resume.
        </p>
      )}
      <p className="muted small">
        Signing secret: <code>{s.secret ?? 'none'}</code>
        {s.previousSecretExpiresAt
          ? ` (previous one signs too until ${fullTime(s.previousSecretExpiresAt)})`
          : ''}
      </p>
      <form className="stack" onSubmit={submit}>
        <WebhookFields values={values} onChange={setValues} idPrefix="wh" />
        <ErrorNotice error={error} />
        {saved && (
          <p className="notice" role="status">
            {saved}
          </p>
        )}
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Saving…' : 'Save webhook settings'}
          </button>
        </div>
      </form>
    </section>
  );
}

function CapabilityList({ c }: { c: Capabilities }) {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  return (
    <dl className="figures">
      <div>
        <dt>Message types</dt>
        <dd>{c.types.join(', ')}</dd>
      </div>
      <div>
        <dt>Text length</dt>
        <dd>{c.textMaxLength} characters</dd>
      </div>
      <div>
        <dt>Media</dt>
        <dd>
          by URL: {yes(c.mediaByUrl)}; by id: {yes(c.mediaByProviderId)}; upload: {yes(c.mediaUpload)}
        </dd>
      </div>
      <div>
        <dt>Receipts</dt>
        <dd>
          delivery: {yes(c.deliveryReceipts)}; read: {yes(c.readReceipts)}
        </dd>
      </div>
      <div>
        <dt>Reactions</dt>
        <dd>{yes(c.reactions)}</dd>
      </div>
      <div>
        <dt>Inbound</dt>
        <dd>{c.inbound.join(', ')}</dd>
      </div>
    </dl>
  );
}
