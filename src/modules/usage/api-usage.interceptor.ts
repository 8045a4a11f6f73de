import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { isUUID } from 'class-validator';
import { from, Observable, switchMap } from 'rxjs';
import type { Principal } from '../../common/auth/principal';
import { LimitsService } from './limits.service';

/** Route paths that address one instance: `/api/instances/:id/...` and the seeds' `:instanceId` routes. */
const INSTANCE_ROUTE = /\/instances\/:id(\/|$)|:instanceId(\/|$)/;

/**
 * Counts authenticated API requests touching an instance (`apiCalls`) and enforces the
 * instance's `maxApiCalls` before the handler runs (429 `limit_exceeded`).
 */
@Injectable()
export class ApiUsageInterceptor implements NestInterceptor {
  constructor(private readonly limits: LimitsService) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<Request & { user?: Principal }>();
    const path = (req.route as { path?: string } | undefined)?.path;
    const param: unknown = req.params?.instanceId ?? req.params?.id;
    const instanceId = typeof param === 'string' ? param : '';
    if (!req.user || !path || !INSTANCE_ROUTE.test(path) || !isUUID(instanceId)) {
      return next.handle();
    }
    return from(this.limits.countApiCall(req.user, instanceId)).pipe(switchMap(() => next.handle()));
  }
}
