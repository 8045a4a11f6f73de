import type { InboxChat, InstanceDetail } from './api/types';

/** Status changes arrive as `connected` / `disconnected` events (`data.status` for the latter). */
export function liveStatus(event: string, data: Record<string, unknown>): string | null {
  if (event === 'connected') return 'connected';
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
