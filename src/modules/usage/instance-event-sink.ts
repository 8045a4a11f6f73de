import type { EntityManager } from 'typeorm';
import type { InstanceEntity } from '../instances-core/instance.entity';

/**
 * Where usage/ records an instance event (`limit_exceeded`) without depending on webhooks/:
 * WebhooksModule provides it as the event outbox (EventsService.emit: the event row, its delivery
 * row in one transaction, the delivery enqueued after commit).
 */
export abstract class InstanceEventSink {
  abstract emit(
    manager: EntityManager,
    instance: InstanceEntity,
    type: string,
    data: Record<string, unknown>,
  ): Promise<unknown>;
}
