import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { isUUID } from 'class-validator';
import type { Principal } from '../../common/auth/principal';
import { LimitsService } from './limits.service';

/** Route paths that address one instance: `/api/instances/:id/...` and the seeds' `:instanceId` routes. */
const INSTANCE_ROUTE = /\/instances\/:id(\/|$)|:instanceId(\/|$)/;

/**
 * Counts authenticated API requests touching an instance (`apiCalls`) and enforces the
 * instance's `maxApiCalls` before the handler runs (429 `limit_exceeded`). A guard, the last of
 * the global ones (AppModule imports UsageModule after AuthModule and ThrottlingModule, so
 * `req.user` is set): an interceptor put Nest's rxjs chain around every request (issue 11).
 */
@Injectable()
export class ApiUsageGuard implements CanActivate {
  constructor(private readonly limits: LimitsService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request & { user?: Principal }>();
    const path = (req.route as { path?: string } | undefined)?.path;
    const param: unknown = req.params?.instanceId ?? req.params?.id;
    const instanceId = typeof param === 'string' ? param : '';
    if (req.user && path && INSTANCE_ROUTE.test(path) && isUUID(instanceId))
      await this.limits.countApiCall(req.user, instanceId);
    return true;
  }
}
