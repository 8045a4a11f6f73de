import type { InstanceEntity } from '../instances-core/instance.entity';

/** Client-facing event names (seeds' eight + message_failed + webhook_test from POST …/webhook/test; DESIGN.md §4). */
export const EVENT_TYPES = [
  'message_received',
  'message_sent',
  'message_failed',
  'message_status',
  'connected',
  'disconnected',
  'qr_received',
  'limit_exceeded',
  'webhook_updated',
  'webhook_test',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An instance's notify flags (seeds), by property and by column. */
export const NOTIFY_COLUMNS = {
  notifyReceived: 'notify_received',
  notifySent: 'notify_sent',
  notifyDelivery: 'notify_delivery',
  notifyRead: 'notify_read',
} as const;
export type NotifyFlag = keyof typeof NOTIFY_COLUMNS;

/**
 * The notify flag that filters an event (seeds): received → notifyReceived; sent/failed →
 * notifySent; status delivered → notifyDelivery; status read/played → notifyRead; null for
 * lifecycle events, which always go out while the webhook is enabled.
 */
export function notifyFlag(type: string, data: Record<string, unknown>): NotifyFlag | null {
  switch (type) {
    case 'message_received':
      return 'notifyReceived';
    case 'message_sent':
    case 'message_failed':
      return 'notifySent';
    case 'message_status':
      if (data.status === 'delivered') return 'notifyDelivery';
      if (data.status === 'read' || data.status === 'played') return 'notifyRead';
      return 'notifySent';
    default:
      return null;
  }
}

/** Whether the instance's notify flags let this event through ({@link notifyFlag}). */
export function wantsEvent(instance: InstanceEntity, type: string, data: Record<string, unknown>): boolean {
  const flag = notifyFlag(type, data);
  return flag ? instance[flag] : true;
}

/** Envelope POSTed to client webhooks: `{id, event, instanceId, provider, sequence, data, timestamp}`. */
export interface EventEnvelope {
  id: string;
  event: string;
  instanceId: string;
  provider: string;
  /** Monotonic across the gateway; deliveries are at-least-once and may arrive out of order under retries. */
  sequence: number;
  data: Record<string, unknown>;
  /** ISO 8601 time the event was recorded. */
  timestamp: string;
}
