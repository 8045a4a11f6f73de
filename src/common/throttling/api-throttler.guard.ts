import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type {
  ThrottlerGenerateKeyFunction,
  ThrottlerGetTrackerFunction,
  ThrottlerLimitDetail,
  ThrottlerOptions,
} from '@nestjs/throttler';
import {
  THROTTLER_BLOCK_DURATION,
  THROTTLER_KEY_GENERATOR,
  THROTTLER_LIMIT,
  THROTTLER_SKIP,
  THROTTLER_TRACKER,
  THROTTLER_TTL,
} from '@nestjs/throttler/dist/throttler.constants';
import { AppError } from '../errors/app-error';
import { routePath } from './rate-limit-routes';

/** A budget that applies to a route, its numbers resolved. */
interface Budget {
  name: string;
  limit: number;
  ttl: number;
  blockDuration: number;
  getTracker: ThrottlerGetTrackerFunction;
  generateKey: ThrottlerGenerateKeyFunction;
  setHeaders: boolean;
}

/**
 * The throttler guard with our error (429 problem+json `rate_limited` naming the budget, with
 * `Retry-After` in seconds whatever the throttler's name) and a faster path (issue 11):
 * - which budgets apply to a route, and their numbers, are worked out once per route (handler and
 *   path), not on every request: the throttlers' `skipIf` must decide by route only (ThrottlingModule's do);
 * - all of a request's budgets are counted at once, so RedisThrottlerStorage sends them in one
 *   round trip (the stock guard counted one budget after another: two round trips per send). A
 *   request refused by one budget has still spent the others that apply to it.
 * Routes with `@Throttle()`/`@SkipThrottle()`, function-valued settings or `ignoreUserAgents`
 * go through the stock guard, request by request.
 */
@Injectable()
export class ApiThrottlerGuard extends ThrottlerGuard {
  /** Budgets by route: controller method, then Express route path; null: the stock guard's path. */
  private readonly routes = new WeakMap<object, Map<string, Budget[] | null>>();

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const budgets = this.budgetsOf(context);
    if (budgets === null) return super.canActivate(context);
    if (budgets.length === 0) return true;
    const { req, res } = this.getRequestResponse(context);
    const trackers = new Map<ThrottlerGetTrackerFunction, Promise<string> | string>();
    const counts = await Promise.all(
      budgets.map(async (b) => {
        let tracker = trackers.get(b.getTracker);
        if (tracker === undefined) trackers.set(b.getTracker, (tracker = b.getTracker(req, context)));
        const key = b.generateKey(context, await tracker, b.name);
        return {
          key,
          tracker: await tracker,
          ...(await this.storageService.increment(key, b.ttl, b.limit, b.blockDuration, b.name)),
        };
      }),
    );
    budgets.forEach((b, i) => {
      const count = counts[i];
      const suffix = b.name === 'default' ? '' : `-${b.name}`;
      if (count.isBlocked) {
        if (b.setHeaders) this.setResponseHeader(res, `Retry-After${suffix}`, count.timeToBlockExpire);
        this.refuse({ limit: b.limit, ttl: b.ttl, ...count });
      }
      if (!b.setHeaders) return;
      this.setResponseHeader(res, `${this.headerPrefix}-Limit${suffix}`, b.limit);
      this.setResponseHeader(
        res,
        `${this.headerPrefix}-Remaining${suffix}`,
        Math.max(0, b.limit - count.totalHits),
      );
      this.setResponseHeader(res, `${this.headerPrefix}-Reset${suffix}`, count.timeToExpire);
    });
    return true;
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    this.refuse(detail);
  }

  private refuse(detail: ThrottlerLimitDetail): never {
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    const budget = detail.key.split(':')[0];
    throw new AppError(
      429,
      'rate_limited',
      `Rate limit exceeded: at most ${detail.limit} requests per ${detail.ttl / 1000} s (${budget} budget); retry after ${retryAfter} s`,
      { budget, limit: detail.limit, windowMs: detail.ttl, retryAfter },
      { 'Retry-After': String(retryAfter) },
    );
  }

  /** The budgets of this request's route (worked out on its first request), or null for the stock path. */
  private budgetsOf(context: ExecutionContext): Budget[] | null {
    const handler = context.getHandler();
    const path = routePath(context);
    let byPath = this.routes.get(handler);
    if (!byPath) this.routes.set(handler, (byPath = new Map()));
    let budgets = byPath.get(path);
    if (budgets === undefined) byPath.set(path, (budgets = this.resolve(context)));
    return budgets;
  }

  private resolve(context: ExecutionContext): Budget[] | null {
    const targets = [context.getHandler(), context.getClass()];
    const common = this.commonOptions;
    if (common.ignoreUserAgents?.length) return null;
    const budgets: Budget[] = [];
    for (const t of this.throttlers as (ThrottlerOptions & { name: string })[]) {
      const decorated = [
        THROTTLER_SKIP,
        THROTTLER_LIMIT,
        THROTTLER_TTL,
        THROTTLER_BLOCK_DURATION,
        THROTTLER_TRACKER,
        THROTTLER_KEY_GENERATOR,
      ].some((meta) => this.reflector.getAllAndOverride(meta + t.name, targets) !== undefined);
      const { limit, ttl } = t;
      const blockDuration = t.blockDuration ?? ttl;
      if (
        decorated ||
        t.ignoreUserAgents?.length ||
        typeof limit !== 'number' ||
        typeof ttl !== 'number' ||
        typeof blockDuration !== 'number'
      )
        return null;
      const skipIf = t.skipIf ?? common.skipIf;
      if (skipIf?.(context)) continue;
      budgets.push({
        name: t.name,
        limit,
        ttl,
        blockDuration,
        getTracker: (t.getTracker ?? common.getTracker)!,
        generateKey: (t.generateKey ?? common.generateKey)!,
        setHeaders: t.setHeaders ?? common.setHeaders ?? true,
      });
    }
    return budgets;
  }
}
