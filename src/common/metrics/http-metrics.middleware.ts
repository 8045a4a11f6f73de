import type { NextFunction, Request, Response } from 'express';
import type { GatewayMetrics } from './gateway-metrics';

/**
 * Express middleware observing every request's duration under its route pattern (`req.route.path`,
 * known once routing ran; `unmatched` otherwise, so ids never become label values).
 */
export function httpMetricsMiddleware(metrics: GatewayMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpDuration.observe(
        {
          method: req.method,
          route: route ? `${req.baseUrl ?? ''}${route}` : 'unmatched',
          status: String(res.statusCode),
        },
        seconds,
      );
    });
    next();
  };
}
