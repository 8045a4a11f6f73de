import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'wouter';
import { api, ok } from '../api/client';
import type { paths } from '../api/schema';
import { ErrorNotice, Loading, StatusBadge } from '../components/ui';
import { useLiveEvents, useLoad } from '../hooks';
import { useTitle } from '../title';

/** GET …/qr as JSON (the seeds' shapes). */
type QrView = paths['/api/instances/{id}/qr']['get']['responses'][200]['content']['application/json'];

/**
 * Link a WhatsApp Web instance: the current QR (refreshed on every `qr_received` and every few
 * seconds while WhatsApp prepares one), or a pairing code for the phone number.
 */
export default function LinkPage() {
  useTitle('Link WhatsApp');
  const { id } = useParams<{ id: string }>();
  const path = { params: { path: { id } } };
  const status = useLoad(() => ok(api.GET('/api/instances/{id}/status', path)), `status:${id}`);
  const qr = useLoad(async (): Promise<QrView | null> => {
    const r = await api.GET('/api/instances/{id}/qr', path);
    if (r.response.status === 409) return null; // linked, or stopped: the status says which
    const body = await ok(Promise.resolve(r));
    return typeof body === 'string' ? null : body; // JSON asked for, never the PNG
  }, `qr:${id}`);
  useLiveEvents((e) => {
    if (e.instanceId !== id) return;
    if (['qr_received', 'connected', 'disconnected'].includes(e.event)) {
      qr.reload();
      status.reload();
    }
  });
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function requestCode(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const r = await ok(
        api.POST('/api/instances/{id}/pairing-code', { ...path, body: { phoneNumber: phone } }),
      );
      setCode(r.code);
    } catch (err) {
      setError(err);
    }
  }

  async function reconnect() {
    setError(null);
    try {
      await ok(api.POST('/api/instances/{id}/reconnect', path));
      status.reload();
      qr.reload();
    } catch (err) {
      setError(err);
    }
  }

  const s = status.data;
  const q = qr.data;
  return (
    <>
      <p>
        <Link href={`/instances/${id}`}>← Instance</Link>
      </p>
      <div className="page-head">
        <h1>Link WhatsApp</h1>
        {s && (
          <span data-testid="status">
            <StatusBadge status={s.status} />
          </span>
        )}
      </div>
      <ErrorNotice error={status.error ?? qr.error} onRetry={qr.reload} />
      {s?.status === 'connected' && (
        <p className="notice" role="status">
          Linked. The phone lists this gateway under Linked devices.
        </p>
      )}
      {s && ['disconnected', 'needs_reauth', 'error'].includes(s.status) && (
        <section className="card stack">
          <p>Not waiting for a scan ({s.reason ?? s.status}). Ask WhatsApp for new QR codes:</p>
          <button type="button" onClick={() => void reconnect()}>
            Reconnect
          </button>
        </section>
      )}
      {s && ['connecting', 'waiting_for_qr'].includes(s.status) && (
        <div className="grid">
          <section className="card stack" aria-labelledby="qr-h">
            <h2 id="qr-h">Scan the QR code</h2>
            {qr.loading && !q && <Loading />}
            {q?.status === 'pending' && q.qrImage && (
              <>
                <img src={q.qrImage} alt="WhatsApp QR code" width={300} height={300} data-testid="qr" />
                <p className="muted">
                  On the phone: WhatsApp → Settings → Linked devices → Link a device. QR {q.attempt}; a new
                  one appears when it expires.
                </p>
              </>
            )}
            {q?.status === 'generating' && (
              <p className="muted">
                {q.message}{' '}
                <button type="button" className="secondary" onClick={qr.reload}>
                  Refresh
                </button>
              </p>
            )}
            {q?.status === 'pairing_code' && (
              <p>
                Pairing code: <strong data-testid="pairing-code">{q.pairingCode}</strong>
              </p>
            )}
          </section>
          <section className="card stack" aria-labelledby="code-h">
            <h2 id="code-h">Or link with the phone number</h2>
            <form onSubmit={(e) => void requestCode(e)} className="stack">
              <label>
                Phone number (digits with country code)
                <input
                  value={phone}
                  onChange={(e) => setPhone(e.target.value)}
                  inputMode="numeric"
                  placeholder="79001234567"
                  required
                />
              </label>
              <button type="submit">Get a pairing code</button>
            </form>
            {code && (
              <p role="status">
                Type <strong>{code}</strong> on the phone: Linked devices → Link a device → Link with phone
                number instead.
              </p>
            )}
            <ErrorNotice error={error} />
          </section>
        </div>
      )}
    </>
  );
}
