import { ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import { createHash } from 'node:crypto';
import type { Principal } from '../auth/principal';

export const SEND_ROUTE = 'switchboard:sendRoute';

/** Marks a handler that sends a message: it also spends the stricter `send` budget. */
export const SendRoute = () => SetMetadata(SEND_ROUTE, true);

/** Express route path of the matched handler, e.g. `/api/instances/:id/messages`. */
export const routePath = (ctx: ExecutionContext): string =>
  (ctx.switchToHttp().getRequest<Request>().route as { path?: string } | undefined)?.path ?? '';

/**
 * Provider inbound webhooks: verified by signature, throttled only by a global ceiling. `/webhook`
 * is the NATS connector seed's alias of `/webhooks/whatsapp` (a route with an `absolutePath`).
 */
export const isProviderWebhook = (ctx: ExecutionContext): boolean => {
  const path = routePath(ctx);
  return path.startsWith('/webhooks/') || path === '/webhook';
};

/** Ops routes that are never throttled (probes and scrapers must not be locked out). */
export const isOpsRoute = (ctx: ExecutionContext): boolean =>
  /^\/(health|metrics)(\/|$)/.test(routePath(ctx));

export const isSendRoute = (ctx: ExecutionContext): boolean =>
  Reflect.getMetadata(SEND_ROUTE, ctx.getHandler()) === true;

/**
 * Who a budget belongs to: the authenticated user (all their API keys and tokens share one),
 * else a hash of the presented credential, else the client IP (login attempts).
 */
export function rateLimitTracker(req: Record<string, unknown>): string {
  const r = req as unknown as Request & { user?: Principal };
  if (r.user?.userId) return `user:${r.user.userId}`;
  const credential = r.headers['x-api-key'] ?? r.headers.authorization;
  if (typeof credential === 'string' && credential.length > 0) {
    return `cred:${createHash('sha256').update(credential).digest('hex').slice(0, 32)}`;
  }
  return `ip:${r.ip ?? 'unknown'}`;
}
