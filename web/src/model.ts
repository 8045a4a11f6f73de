import type { InboxChat, InstanceDetail } from './api/types';

/**
 * The instance status an event of the stream implies: `connected`; `disconnected` (its `data.status`:
 * connecting, disconnected, needs_reauth, error); `qr_received` (a new QR: the socket waits for a
 * scan, status `waiting_for_qr`, as ConnectionStatusService stores it). Null for other events.
 */
export function liveStatus(event: string, data: Record<string, unknown>): string | null {
  if (event === 'connected') return 'connected';
  if (event === 'qr_received') return 'waiting_for_qr';
  if (event === 'disconnected') return typeof data.status === 'string' ? data.status : 'disconnected';
  return null;
}

/** The name people see the account by (`config.accountName`), when the provider reports one. */
export function accountName(i: InstanceDetail): string | null {
  const v = i.config.accountName;
  return typeof v === 'string' && v ? v : null;
}

export function chatName(c: Pick<InboxChat, 'title' | 'contactName' | 'providerChatId'>): string {
  return c.title ?? c.contactName ?? c.providerChatId;
}
