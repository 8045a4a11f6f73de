import type { ReactNode } from 'react';
import { ClockIcon } from './icons';

const TICKS: Record<string, { mark: ReactNode; label: string }> = {
  queued: { mark: <ClockIcon />, label: 'sending' },
  sent: { mark: '✓', label: 'sent' },
  delivered: { mark: '✓✓', label: 'delivered' },
  read: { mark: '✓✓', label: 'read' },
  played: { mark: '✓✓', label: 'played' },
  failed: { mark: '!', label: 'not delivered' },
};

/** Delivery state of an outbound message: a clock while sending, ✓ sent, ✓✓ delivered, blue ✓✓ read, ! failed. */
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
