import { WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { RedisErrorLog } from '../redis/redis-error-log';

/**
 * A BullMQ processor that closes its worker first at shutdown (onModuleDestroy): the job in
 * flight finishes while PostgreSQL, Redis and the queues are still up, before @nestjs/bullmq and
 * TypeORM close them in onApplicationShutdown. Connection errors and recoveries of the worker's
 * connections go through RedisErrorLog (warn once per outage, then debug).
 */
export abstract class GatewayWorkerHost
  extends WorkerHost
  implements OnApplicationBootstrap, OnModuleDestroy
{
  protected abstract readonly logger: Logger;
  private connectionLog?: RedisErrorLog;

  onApplicationBootstrap(): void | Promise<void> {
    this.worker.getBackend().on('ready', this.redisErrors().ready);
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker.close();
  }

  /** For the processor's @OnWorkerEvent('error'). */
  protected onWorkerError(err: Error): void {
    this.redisErrors().error(err);
  }

  private redisErrors(): RedisErrorLog {
    this.connectionLog ??= new RedisErrorLog(this.logger, `worker ${this.worker.name}`);
    return this.connectionLog;
  }
}
