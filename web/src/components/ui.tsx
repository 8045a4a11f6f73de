import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import type { Pagination } from '../api/types';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/** An API error as the user should read it: the problem's `detail`, and the fields it names. */
export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const fields = error instanceof ApiError ? error.fields : [];
  return (
    <div className="error" role="alert">
      <p>{message}</p>
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" className="secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Previous / next over `{total, limit, skip, hasMore}`. */
export function Pager({ pagination, onSkip }: { pagination?: Pagination; onSkip: (skip: number) => void }) {
  if (!pagination || pagination.total <= pagination.limit) return null;
  const { total, limit, skip, hasMore } = pagination;
  const to = Math.min(skip + limit, total);
  return (
    <nav className="pager" aria-label="Pages">
      <button
        type="button"
        className="secondary"
        disabled={skip === 0}
        onClick={() => onSkip(Math.max(0, skip - limit))}
      >
        Previous
      </button>
      <span>
        {skip + 1}–{to} of {total}
      </span>
      <button type="button" className="secondary" disabled={!hasMore} onClick={() => onSkip(skip + limit)}>
        Next
      </button>
    </nav>
  );
}

const STATUS_TONE: Record<string, string> = {
  connected: 'good',
  succeeded: 'good',
  sent: 'good',
  delivered: 'good',
  read: 'good',
  connecting: 'warn',
  waiting_for_qr: 'warn',
  pending: 'warn',
  queued: 'warn',
  failed: 'bad',
  dead: 'bad',
  error: 'bad',
  needs_reauth: 'bad',
  disconnected: 'neutral',
};

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge ${STATUS_TONE[status] ?? 'neutral'}`}>{status.replaceAll('_', ' ')}</span>;
}

/**
 * A button that asks first, in a modal <dialog> (focus moves in, Escape cancels). `busy` while the
 * action runs; its error is shown in the dialog.
 */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  danger,
}: {
  label: string;
  question: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  danger?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const titleId = useId();
  return (
    <>
      <button
        type="button"
        className={danger ? 'danger' : 'secondary'}
        onClick={() => dialog.current?.showModal()}
      >
        {label}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId} onClose={() => setError(null)}>
        <h2 id={titleId}>{label}</h2>
        <div>{question}</div>
        <ErrorNotice error={error} />
        <div className="actions">
          <button type="button" className="secondary" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button
            type="button"
            className={danger ? 'danger' : undefined}
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                await onConfirm();
                dialog.current?.close();
              } catch (err) {
                setError(err);
              } finally {
                setBusy(false);
              }
            }}
          >
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}

/** A secret the API returns once: shown with a copy button and a warning until dismissed. */
export function SecretOnce({ label, secret, onDone }: { label: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div className="secret-once" role="region" aria-label={label} tabIndex={-1} ref={ref}>
      <p>
        <strong>{label}</strong> — shown only now: copy it, it is never shown again.
      </p>
      <code className="secret" data-testid="secret-once">
        {secret}
      </code>
      <div className="actions">
        <button
          type="button"
          className="secondary"
          onClick={() => {
            void navigator.clipboard?.writeText(secret).then(() => setCopied(true));
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={onDone}>
          I have stored it
        </button>
      </div>
    </div>
  );
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

/** `12 Nov 2026, 14:03`; today's times as `14:03`. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toDateString() === new Date().toDateString() ? time.format(d) : dateTime.format(d);
}

export function fullTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}
