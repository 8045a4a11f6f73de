import { useMemo, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'wouter';
import { api, ok } from '../api/client';
import type { Provider, ProviderKey } from '../api/types';
import { schemaFields, SchemaInputs } from '../components/schema-form';
import { ErrorNotice, Loading, SecretOnce } from '../components/ui';
import { DEFAULT_WEBHOOK, WebhookFields, type WebhookValues } from '../components/webhook-fields';
import { useLoad } from '../hooks';
import { useTitle } from '../title';

/**
 * Create an instance: the provider's `config` fields are generated from its JSON Schema
 * (GET /api/providers), secrets as password fields. The API checks the credentials with the
 * provider before saving; a generated webhook secret is shown once afterwards. Then the instance's
 * page, or its link page when the provider logs in by QR (`capabilities.qrLogin`: WhatsApp Web).
 */
export default function CreateInstancePage() {
  useTitle('New instance');
  const providers = useLoad(() => ok(api.GET('/api/providers')), 'providers');
  return (
    <>
      <p>
        <Link href="/instances">← Instances</Link>
      </p>
      <h1>New instance</h1>
      {providers.loading && !providers.data && <Loading />}
      <ErrorNotice error={providers.error} onRetry={providers.reload} />
      {providers.data && <CreateForm providers={providers.data.providers} />}
    </>
  );
}

function CreateForm({ providers }: { providers: Provider[] }) {
  const [, navigate] = useLocation();
  const [provider, setProvider] = useState(providers[0]?.provider ?? '');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [config, setConfig] = useState<Record<string, string>>({});
  const [webhook, setWebhook] = useState<WebhookValues>(DEFAULT_WEBHOOK);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<{ next: string; secret?: string } | null>(null);
  const selected = providers.find((p) => p.provider === provider);
  const fields = useMemo(() => (selected ? schemaFields(selected.configSchema) : []), [selected]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await ok(
        api.POST('/api/instances', {
          body: {
            provider: provider as ProviderKey,
            name,
            ...(description ? { description } : {}),
            config: Object.fromEntries(
              fields.filter((f) => config[f.name]).map((f) => [f.name, config[f.name]]),
            ),
            ...(webhook.webhookUrl ? { webhookUrl: webhook.webhookUrl } : {}),
            webhookEnabled: !!webhook.webhookUrl && webhook.webhookEnabled,
            notifyReceived: webhook.notifyReceived,
            notifySent: webhook.notifySent,
            notifyDelivery: webhook.notifyDelivery,
            notifyRead: webhook.notifyRead,
            maxRetries: webhook.maxRetries,
            retryInterval: webhook.retryInterval,
          },
        }),
      );
      setConfig({});
      // a provider linked by scanning a QR (WhatsApp Web) has nothing to do until it is: its link page next
      const next = selected?.capabilities.qrLogin ? `/instances/${res.id}/link` : `/instances/${res.id}`;
      if (res.webhookSecret) setCreated({ next, secret: res.webhookSecret });
      else navigate(next);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (created?.secret)
    return (
      <SecretOnce
        label="Webhook signing secret"
        secret={created.secret}
        onDone={() => navigate(created.next)}
      />
    );

  return (
    <form className="card stack" onSubmit={submit} aria-describedby="create-help">
      <p id="create-help" className="muted small">
        Fields marked * are required. Credentials are checked with the provider before anything is saved.
      </p>
      <div className="field">
        <label htmlFor="ci-provider">Provider *</label>
        <select
          id="ci-provider"
          value={provider}
          onChange={(e) => {
            setProvider(e.target.value);
            setConfig({});
          }}
        >
          {providers.map((p) => (
            <option key={p.provider} value={p.provider}>
              {p.provider}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="ci-name">Name *</label>
        <input id="ci-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="ci-description">Description (optional)</label>
        <input
          id="ci-description"
          maxLength={2000}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </div>
      <fieldset>
        <legend>{provider} settings</legend>
        <SchemaInputs
          fields={fields}
          values={config}
          idPrefix="ci-config"
          onChange={(k, v) => setConfig((c) => ({ ...c, [k]: v }))}
        />
      </fieldset>
      <WebhookFields values={webhook} onChange={setWebhook} idPrefix="ci-webhook" />
      <ErrorNotice error={error} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Checking with the provider…' : 'Create instance'}
        </button>
      </div>
    </form>
  );
}
