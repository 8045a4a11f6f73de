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

/**
 * The notify flags (seeds) filter message events: received → notifyReceived; sent/failed →
 * notifySent; status delivered → notifyDelivery; status read/played → notifyRead.
 * Lifecycle events always go out while the webhook is enabled.
 */
export function wantsEvent(instance: InstanceEntity, type: string, data: Record<string, unknown>): boolean {
  switch (type) {
    case 'message_received':
      return instance.notifyReceived;
    case 'message_sent':
    case 'message_failed':
      return instance.notifySent;
    case 'message_status':
      if (data.status === 'delivered') return instance.notifyDelivery;
      if (data.status === 'read' || data.status === 'played') return instance.notifyRead;
      return instance.notifySent;
    default:
      return true;
  }
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
