import { InjectQueue } from '@nestjs/bullmq';
import { Controller, Get, Header, Headers } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
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
import { AppError, UnauthorizedError } from '../../common/errors/app-error';
import { GatewayMetrics } from '../../common/metrics/gateway-metrics';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { QueueName } from '../../common/queues/queues';
import { RedisService } from '../../common/redis/redis.service';
import { AppConfig } from '../../config/app-config';
import { LivenessDto, ReadinessDto } from './health.dto';
import { NatsHealthService } from '../nats/nats-health.service';

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
    private readonly nats: NatsHealthService,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: LivenessDto })
  live(): LivenessDto {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  @Get('health/ready')
  // documented below: terminus' own Swagger answer would describe the 503 as application/json
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    summary:
      'Readiness: PostgreSQL and Redis answer within 2 s, the webhook queue backlog is under HEALTH_QUEUE_BACKLOG_MAX, ' +
      'and with NATS_URL set, at most NATS_PENDING_MAX items wait for NATS and (worker processes) NATS is connected (503 otherwise)',
  })
  @ApiOkResponse({ type: ReadinessDto })
  @ApiProblemResponses([
    503,
    'Not ready (`not_ready`): `error` names the unhealthy dependencies, `details` reports all of them',
  ])
  async ready() {
    try {
      return await this.checkReady();
    } catch (err) {
      // terminus throws a 503 HttpException; keep its per-dependency report in the problem body
      const report = (err as { getResponse?: () => unknown }).getResponse?.() as
        { error?: Record<string, unknown>; details?: Record<string, unknown> } | undefined;
      if (!report?.details) throw err;
      const down = Object.keys(report.error ?? {});
      throw new AppError(503, 'not_ready', `Not ready: ${down.join(', ')} unhealthy`, {
        error: report.error,
        details: report.details,
      });
    }
  }

  private checkReady() {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 2000 }),
      async () => {
        const indicator = this.indicators.check('redis');
        try {
          await withTimeout(this.redis.client.ping(), 2000, 'redis ping timed out');
          return indicator.up();
        } catch (err) {
          return indicator.down({ message: (err as Error).message });
        }
      },
      async () => {
        const indicator = this.indicators.check('queue');
        try {
          const counts = await withTimeout(
            this.deliveries.getJobCounts('waiting', 'delayed'),
            2000,
            'queue count timed out',
          );
          const backlog = (counts.waiting ?? 0) + (counts.delayed ?? 0);
          const max = this.config.healthQueueBacklogMax;
          return backlog <= max ? indicator.up({ backlog, max }) : indicator.down({ backlog, max });
        } catch (err) {
          return indicator.down({ message: (err as Error).message });
        }
      },
      ...(this.nats.enabled
        ? [
            async () => {
              const indicator = this.indicators.check('nats');
              try {
                const r = await withTimeout(this.nats.check(), 2000, 'nats check timed out');
                return r.up ? indicator.up(r.details) : indicator.down(r.details);
              } catch (err) {
                return indicator.down({ message: (err as Error).message });
              }
            },
          ]
        : []),
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
      '`switchboard_instances{provider,status}`, `switchboard_queue_jobs{queue,state}`, and with NATS_URL set ' +
      '`switchboard_nats_pending`, `switchboard_nats_published_total{outcome}`, `switchboard_nats_publish_lag_seconds`. ' +
      'With METRICS_TOKEN set, send `Authorization: Bearer <token>`.',
  })
  @ApiOkResponse({
    description: 'Prometheus text exposition format 0.0.4',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiProblemResponses([401, 'METRICS_TOKEN is set and `Authorization: Bearer <token>` is missing or wrong'])
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
      withTimeout(
        this.deliveries.getJobCounts('waiting', 'delayed', 'active', 'failed'),
        2000,
        'timeout',
      ).catch(() => ({})),
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

/** Rejects with `message` when `p` takes longer than `ms` (ioredis queues commands while disconnected). */
function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
