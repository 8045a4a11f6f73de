import type { Req, Res } from './client';
import type { paths } from './schema';

/** Shapes the pages share, named after the operations that return them (generated types). */
export type User = Res<'/api/auth/me', 'get'>;
export type Instance = Res<'/api/instances', 'get'>['instances'][number];
export type InstanceDetail = Res<'/api/instances/{id}', 'get'>;
export type Provider = Res<'/api/providers', 'get'>['providers'][number];
export type Capabilities = Res<'/api/instances/{id}/capabilities', 'get'>;
export type InboxChat = Res<'/api/chats', 'get'>['chats'][number];
export type Message = Res<'/api/instances/{id}/chats/{chatId}/messages', 'get'>['messages'][number];
export type Delivery = Res<'/api/instances/{id}/webhook-deliveries', 'get'>['deliveries'][number];
export type DeliveryDetail = Res<'/api/webhook-deliveries/{id}', 'get'>;
export type Pagination = Res<'/api/chats', 'get'>['pagination'];
export type ActivityLog = Res<'/api/instances/{id}/activity', 'get'>['logs'][number];
export type UserStats = Res<'/api/stats/user', 'get'>;
export type SystemStats = Res<'/api/stats/system', 'get'>;

type Query<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } }
  ? NonNullable<Q>
  : never;
export type DeliveryStatus = NonNullable<Query<'/api/instances/{id}/webhook-deliveries'>['status']>;
export type EventType = NonNullable<Query<'/api/instances/{id}/webhook-deliveries'>['event']>;
export type MessageStatus = Message['status'];
export type ProviderKey = Req<'/api/instances', 'post'>['provider'];

/**
 * Every member of the union `T`, as a list the compiler checks both ways: a value outside `T` or a
 * member of `T` left out is a type error (so a new status in the OpenAPI document fails the build).
 */
export function allOf<T extends string>() {
  return <const L extends readonly T[]>(
    list: L & ([Exclude<T, L[number]>] extends [never] ? unknown : never),
  ) => list;
}

export const DELIVERY_STATUSES = allOf<DeliveryStatus>()(['pending', 'failed', 'succeeded', 'dead']);
export const EVENT_TYPES = allOf<EventType>()([
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
]);
export const MESSAGE_STATUSES = allOf<MessageStatus>()([
  'queued',
  'sent',
  'delivered',
  'read',
  'played',
  'failed',
  'received',
]);
