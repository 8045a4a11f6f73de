import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Queue, QueueBase } from 'bullmq';
import { RedisErrorLog } from '../redis/redis-error-log';

/** Logs a BullMQ queue's or worker's connection errors and recoveries through `log`. */
export function watchBullConnection(target: QueueBase, log: RedisErrorLog): void {
  target.on('error', log.error);
  target.getBackend().on('ready', log.ready);
}

/**
 * Gives every BullMQ queue registered in the app (BullModule.registerQueue, in any module) a
 * listener for its `error` event: without one BullMQ prints each connection reset to the console.
 * Workers log theirs in their processors (@OnWorkerEvent('error')).
 */
@Injectable()
export class QueueConnectionLog implements OnModuleInit {
  private readonly logger = new Logger('Redis');

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const { instance } of this.discovery.getProviders()) {
      if (instance instanceof Queue) {
        watchBullConnection(instance, new RedisErrorLog(this.logger, `queue ${instance.name}`));
      }
    }
  }
}
