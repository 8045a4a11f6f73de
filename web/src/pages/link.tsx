import { useEffect, useState, type FormEvent } from 'react';
import { Link, useParams } from 'wouter';
import { api, ok } from '../api/client';
import type { paths } from '../api/schema';
import { ErrorNotice, Loading, StatusBadge } from '../components/ui';
import { useLiveEvents, useLoad } from '../hooks';
import { useTitle } from '../title';

/** GET …/qr as JSON (the seeds' shapes). */
type QrView = paths['/api/instances/{id}/qr']['get']['responses'][200]['content']['application/json'];

/** GET …/status. */
type StatusView = paths['/api/instances/{id}/status']['get']['responses'][200]['content']['application/json'];

/** Statuses in which the socket waits for a login (QR or pairing code). */
const WAITING: readonly StatusView['status'][] = ['connecting', 'waiting_for_qr'];

/** How often the page asks again while WhatsApp prepares the first QR (a missed event), ms. */
const GENERATING_POLL_MS = 2000;

/**
 * Link a WhatsApp Web instance: the current QR as an image, replaced on every `qr_received` of the
 * event stream (and polled every GENERATING_POLL_MS while WhatsApp prepares one), with a countdown
 * to its `expiresAt`; or a pairing code for the phone number. A `connected` event switches the page
 * to "Linked" without a reload.
 */
export default function LinkPage() {
  useTitle('Link WhatsApp');
  const { id } = useParams<{ id: string }>();
  const path = { params: { path: { id } } };
  // the QR only while the socket waits for a login: GET …/qr answers 409 otherwise (a console error)
  const link = useLoad(async (): Promise<{ status: StatusView; qr: QrView | null }> => {
    const status = await ok(api.GET('/api/instances/{id}/status', path));
    if (!WAITING.includes(status.status)) return { status, qr: null };
    const r = await api.GET('/api/instances/{id}/qr', path);
    if (r.response.status === 409) return { status, qr: null }; // linked or stopped meanwhile
    const body = await ok(Promise.resolve(r));
    return { status, qr: typeof body === 'string' ? null : body }; // JSON asked for, never the PNG
  }, `link:${id}`);
  const { reload } = link;
  useLiveEvents(
    (e) => {
      if (e.instanceId === id && ['qr_received', 'connected', 'disconnected'].includes(e.event)) reload();
    },
    reload, // the stream reconnected: events may have been missed
  );
  const generating = link.data?.qr?.status === 'generating';
  useEffect(() => {
    if (!generating) return;
    const timer = setInterval(reload, GENERATING_POLL_MS);
    return () => clearInterval(timer);
  }, [generating, reload]);
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
      setCode(null);
      reload();
    } catch (err) {
      setError(err);
    }
  }

  const s = link.data?.status;
  const q = link.data?.qr;
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
      <ErrorNotice error={link.error} onRetry={reload} />
      {s?.status === 'connected' && (
        <p className="notice" role="status">
          Linked. The phone lists this gateway under Linked devices.
        </p>
      )}
      {s && !WAITING.includes(s.status) && s.status !== 'connected' && (
        <section className="card stack">
          <p>Not waiting for a scan ({s.reason ?? s.status}). Ask WhatsApp for new QR codes:</p>
          <button type="button" onClick={() => void reconnect()}>
            Reconnect
          </button>
        </section>
      )}
      {s && WAITING.includes(s.status) && (
        <div className="grid">
          <section className="card stack" aria-labelledby="qr-h">
            <h2 id="qr-h">Scan the QR code</h2>
            {link.loading && !q && <Loading />}
            {q?.status === 'pending' && q.qrImage && (
              <>
                <img
                  className="qr"
                  src={q.qrImage}
                  alt={`WhatsApp QR code ${q.attempt}`}
                  width={300}
                  height={300}
                  data-testid="qr"
                  data-attempt={q.attempt}
                />
                {q.expiresAt && <Countdown key={q.expiresAt} until={q.expiresAt} />}
                <p className="muted">
                  On the phone: WhatsApp → Settings → Linked devices → Link a device. QR {q.attempt}; a new
                  one appears here when it expires.
                </p>
              </>
            )}
            {q?.status === 'generating' && (
              <p className="muted">
                {q.message}{' '}
                <button type="button" className="secondary" onClick={reload}>
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

/** Whole seconds from `now` to `until` (ISO 8601), never below 0. */
function secondsLeft(until: string, now: number): number {
  return Math.max(0, Math.ceil((Date.parse(until) - now) / 1000));
}

/**
 * Time left before the QR expires (`m:ss`, ticking every second; keyed by `until`, so a new QR
 * starts over). A `timer` role, which screen readers do not announce at every tick.
 */
function Countdown({ until }: { until: string }) {
  const [left, setLeft] = useState(() => secondsLeft(until, Date.now()));
  useEffect(() => {
    const timer = setInterval(() => setLeft(secondsLeft(until, Date.now())), 1000);
    return () => clearInterval(timer);
  }, [until]);
  if (left === 0)
    return (
      <p className="muted" data-testid="qr-countdown">
        This QR has expired; WhatsApp sends the next one in a moment.
      </p>
    );
  const text = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  return (
    <p data-testid="qr-countdown">
      Expires in{' '}
      <span role="timer" aria-label={`${left} seconds`} data-seconds={left}>
        {text}
      </span>
    </p>
  );
}
