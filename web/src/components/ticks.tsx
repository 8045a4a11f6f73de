const TICKS: Record<string, { mark: string; label: string }> = {
  queued: { mark: '🕓', label: 'sending' },
  sent: { mark: '✓', label: 'sent' },
  delivered: { mark: '✓✓', label: 'delivered' },
  read: { mark: '✓✓', label: 'read' },
  played: { mark: '✓✓', label: 'played' },
  failed: { mark: '!', label: 'not delivered' },
};

/** Delivery state of an outbound message: 🕓 sending, ✓ sent, ✓✓ delivered, blue ✓✓ read, ! failed. */
export function Ticks({ status }: { status: string }) {
  const t = TICKS[status];
  if (!t) return null;
  return (
    <span className={`tick tick-${status}`} data-status={status} title={t.label}>
      <span aria-hidden="true">{t.mark}</span>
      <span className="sr-only">{t.label}</span>
    </span>
  );
}
