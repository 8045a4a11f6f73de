import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, register } from 'prom-client';

/** Returns the metric already registered under `name` (several apps in one process, e.g. tests) or registers `make()`. */
function once<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * The gateway's Prometheus series (GET /metrics), all in-memory prom-client metrics — an
 * increment costs nanoseconds, so hot paths record them inline. Durations in seconds.
 */
@Injectable()
export class GatewayMetrics {
  readonly httpDuration = once(
    'switchboard_http_request_duration_seconds',
    () =>
      new Histogram({
        name: 'switchboard_http_request_duration_seconds',
        help: 'HTTP request duration by method, route pattern and status',
        labelNames: ['method', 'route', 'status'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      }),
  );

  readonly messages = once(
    'switchboard_messages_total',
    () =>
      new Counter({
        name: 'switchboard_messages_total',
        help: 'Messages sent (out) and received (in) by provider and type',
        labelNames: ['provider', 'direction', 'type'],
      }),
  );

  readonly providerErrors = once(
    'switchboard_provider_errors_total',
    () =>
      new Counter({
        name: 'switchboard_provider_errors_total',
        help: 'Failed provider calls by provider and our error code',
        labelNames: ['provider', 'code'],
      }),
  );

  readonly deliveries = once(
    'switchboard_webhook_deliveries_total',
    () =>
      new Counter({
        name: 'switchboard_webhook_deliveries_total',
        help: 'Client webhook delivery attempts by outcome (succeeded, failed = will retry, dead)',
        labelNames: ['outcome'],
      }),
  );

  readonly deliveryDuration = once(
    'switchboard_webhook_delivery_duration_seconds',
    () =>
      new Histogram({
        name: 'switchboard_webhook_delivery_duration_seconds',
        help: 'Client webhook delivery attempt latency by outcome',
        labelNames: ['outcome'],
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      }),
  );

  /** Set at scrape time (GET /metrics) from PostgreSQL. */
  readonly instances = once(
    'switchboard_instances',
    () =>
      new Gauge({
        name: 'switchboard_instances',
        help: 'Instances by provider and status',
        labelNames: ['provider', 'status'],
      }),
  );

  /**
   * Long-lived provider connections this process runs (ConnectionRuntime), by provider and the
   * state last reported: connecting, connected, disconnected (backing off), waiting_for_qr,
   * waiting_for_pairing_code, needs_reauth. Set as states change; summed over processes by Prometheus.
   */
  readonly connections = once(
    'switchboard_connections',
    () =>
      new Gauge({
        name: 'switchboard_connections',
        help: 'Long-lived provider connections run by this process, by provider and state',
        labelNames: ['provider', 'state'],
      }),
  );

  /** Set at scrape time (GET /metrics) from BullMQ. */
  readonly queueDepth = once(
    'switchboard_queue_jobs',
    () =>
      new Gauge({
        name: 'switchboard_queue_jobs',
        help: 'Jobs per queue and state (waiting, delayed, active, failed)',
        labelNames: ['queue', 'state'],
      }),
  );
}
