import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { GatewayMetrics } from '../../common/metrics/gateway-metrics';
import { RedisService } from '../../common/redis/redis.service';
import { AppConfig } from '../../config/app-config';
import { InstanceEntity } from '../instances-core/instance.entity';
import { ConversationsService } from '../messages/conversations.service';
import { ProviderRegistry } from '../providers/provider-registry';
import type { ConnectionSource, InboundItem } from '../providers/provider-seams';
import { CONNECTION_STATUSES, ConnectionStatusService } from './connection-status.service';
import { ConnectionSupervisor, ConnectionTarget } from './connection-supervisor';

/** True for an adapter that holds long-lived connections (implements ConnectionSource). */
export function isConnectionSource<T extends object>(adapter: T): adapter is T & ConnectionSource {
  const a = adapter as Partial<ConnectionSource>;
  return typeof a.connectionTargets === 'function' && typeof a.openConnection === 'function';
}

/**
 * The connection runtime of a worker process (APP_ROLE worker|all; DESIGN.md §4): runs the
 * `ProviderConnection` of every instance that an adapter implementing `ConnectionSource` lists
 * in `connectionTargets()` and whose status is one of CONNECTION_STATUSES, one owner per
 * instance across all processes (ConnectionSupervisor: fenced Redis lease, TTL
 * CONNECTION_LEASE_TTL_MS ≤ 15 s renewed every third of it, reconnect backoff
 * CONNECTION_RECONNECT_BASE_MS → CONNECTION_RECONNECT_MAX_MS with full jitter). Reported states
 * become status, events and activity lines (ConnectionStatusService) and the gauge
 * `switchboard_connections{provider,state}`; `ctx.ingest` stores items through
 * ConversationsService. At shutdown (onModuleDestroy, while Redis and PostgreSQL are still up)
 * the connections stop and their leases are released.
 */
@Injectable()
export class ConnectionRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ConnectionRuntime.name);
  private readonly supervisor: ConnectionSupervisor;

  constructor(
    private readonly registry: ProviderRegistry,
    @InjectRepository(InstanceEntity) private readonly instances: Repository<InstanceEntity>,
    private readonly status: ConnectionStatusService,
    private readonly conversations: ConversationsService,
    private readonly metrics: GatewayMetrics,
    redis: RedisService,
    config: AppConfig,
  ) {
    this.supervisor = new ConnectionSupervisor(
      redis,
      {
        targets: () => this.targets(),
        report: (instance, state) => this.status.apply(instance.id, state),
        ingest: (items) => this.ingest(items),
        transition: (provider, from, to) => {
          if (from) this.metrics.connections.dec({ provider, state: from });
          if (to) this.metrics.connections.inc({ provider, state: to });
        },
      },
      config.connections,
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    this.supervisor.start();
  }

  async onModuleDestroy(): Promise<void> {
    const stopped = await this.supervisor.stop();
    if (stopped) this.logger.log({ instances: stopped }, 'connections stopped, leases released');
  }

  /** Instance ids whose connection runs in this process now. */
  get active(): string[] {
    return this.supervisor.active;
  }

  private async targets(): Promise<ConnectionTarget[]> {
    const sources = this.registry.keys
      .map((key) => this.registry.get(key))
      .filter((a) => isConnectionSource(a));
    const listed = await Promise.all(
      sources.map(async (source) => ({ source, ids: await source.connectionTargets() })),
    );
    const sourceOf = new Map<string, ConnectionSource>();
    for (const { source, ids } of listed) for (const id of ids) sourceOf.set(id, source);
    if (sourceOf.size === 0) return [];
    const rows = await this.instances.find({
      where: { id: In([...sourceOf.keys()]), status: In([...CONNECTION_STATUSES]) },
      order: { createdAt: 'ASC' },
    });
    return rows.map((instance) => ({ instance, source: sourceOf.get(instance.id)! }));
  }

  /**
   * Stores a connection's items in order, each as ConversationsService.ingest does for a
   * webhook (archive, dedupe on the provider event id, rows, events); resolves after the last
   * commit. The one place a connection's items reach the database.
   */
  private async ingest(items: InboundItem[]): Promise<void> {
    for (const item of items)
      await this.conversations.ingest(item.instance, item.providerEventId, item.payload, item.result);
  }
}
