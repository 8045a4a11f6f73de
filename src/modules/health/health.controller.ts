import { InjectQueue } from '@nestjs/bullmq';
import { Controller, Get, Header, Headers } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { timingSafeEqual } from 'node:crypto';
import { collectDefaultMetrics, register } from 'prom-client';
import { DataSource } from 'typeorm';
import { Public } from '../../common/auth/decorators';
import { UnauthorizedError } from '../../common/errors/app-error';
import { GatewayMetrics } from '../../common/metrics/gateway-metrics';
import { QueueName } from '../../common/queues/queues';
import { RedisService } from '../../common/redis/redis.service';
import { AppConfig } from '../../config/app-config';

collectDefaultMetrics({ prefix: 'switchboard_' });

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisService,
    private readonly config: AppConfig,
    private readonly metricsRegistry: GatewayMetrics,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QueueName.WebhookDelivery) private readonly deliveries: Queue,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live() {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  @Get('health/ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: PostgreSQL and Redis answer (503 otherwise)' })
  ready() {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 2000 }),
      async () => {
        const indicator = this.indicators.check('redis');
        try {
          await this.redis.client.ping();
          return indicator.up();
        } catch (err) {
          return indicator.down({ message: (err as Error).message });
        }
      },
    ]);
  }

  @Get('metrics')
  @Header('content-type', register.contentType)
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Process and Node.js runtime, plus `switchboard_http_request_duration_seconds{method,route,status}`, ' +
      '`switchboard_messages_total{provider,direction,type}`, `switchboard_provider_errors_total{provider,code}`, ' +
      '`switchboard_webhook_deliveries_total{outcome}`, `switchboard_webhook_delivery_duration_seconds{outcome}`, ' +
      '`switchboard_instances{provider,status}` and `switchboard_queue_jobs{queue,state}`. ' +
      'With METRICS_TOKEN set, send `Authorization: Bearer <token>`.',
  })
  async metrics(@Headers('authorization') authorization?: string) {
    this.checkToken(authorization);
    await this.refreshGauges();
    return register.metrics();
  }

  private checkToken(authorization: string | undefined): void {
    const token = this.config.metricsToken;
    if (!token) return;
    const given = Buffer.from(authorization ?? '');
    const expected = Buffer.from(`Bearer ${token}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new UnauthorizedError('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
    }
  }

  /** Point-in-time gauges, read only when scraped; a failing source leaves its gauge empty. */
  private async refreshGauges(): Promise<void> {
    const { instances, queueDepth } = this.metricsRegistry;
    const [rows, counts] = await Promise.all([
      this.dataSource
        .query(`SELECT provider, status, count(*)::int AS n FROM instances GROUP BY provider, status`)
        .catch(() => [] as { provider: string; status: string; n: number }[]),
      this.deliveries.getJobCounts('waiting', 'delayed', 'active', 'failed').catch(() => ({})),
    ]);
    instances.reset();
    for (const r of rows as { provider: string; status: string; n: number }[]) {
      instances.set({ provider: r.provider, status: r.status }, r.n);
    }
    queueDepth.reset();
    for (const [state, n] of Object.entries(counts as Record<string, number>)) {
      queueDepth.set({ queue: QueueName.WebhookDelivery, state }, n);
    }
  }
}
