import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard as PassportAuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { ForbiddenError, UnauthorizedError } from '../errors/app-error';
import { IS_PUBLIC, ROLES } from './decorators';
import type { Principal } from './principal';
import { PrincipalCache } from './principal-cache';

/**
 * The one global guard (STYLE.md §4): `Authorization: Bearer <jwt>` or `x-api-key: <key>`,
 * `@Public()` opts out, `@Roles()` narrows. Registered as APP_GUARD.
 * Credentials seen within AUTH_CACHE_TTL_MS reuse their caller (PrincipalCache) without passport
 * or PostgreSQL; the others go through passport (JwtStrategy, ApiKeyStrategy) and are remembered.
 */
@Injectable()
export class AuthGuard extends PassportAuthGuard(['jwt', 'api-key']) {
  constructor(
    private readonly reflector: Reflector,
    private readonly principals: PrincipalCache,
  ) {
    super();
  }

  /** `@Public()` and `@Roles()` of each route (by controller, then handler), read once: they never change. */
  private readonly routes = new WeakMap<object, WeakMap<object, { isPublic: boolean; roles?: string[] }>>();

  private route(context: ExecutionContext): { isPublic: boolean; roles?: string[] } {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.routes.get(controller);
    if (!byHandler) this.routes.set(controller, (byHandler = new WeakMap()));
    let route = byHandler.get(handler);
    if (!route) {
      const targets = [handler, controller];
      route = {
        isPublic: !!this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets),
        roles: this.reflector.getAllAndOverride<string[] | undefined>(ROLES, targets),
      };
      byHandler.set(handler, route);
    }
    return route;
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const { isPublic, roles } = this.route(context);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<Request & { user?: Principal }>();
    const key = this.principals.keyOf(req);
    const cached = key ? this.principals.get(key) : undefined;
    if (cached) {
      req.user = cached;
    } else {
      const mark = this.principals.mark;
      await (super.canActivate(context) as Promise<boolean>);
      if (key) this.principals.remember(key, req.user!, mark);
    }
    const user = req.user!;
    if (roles?.length && !roles.includes(user.role))
      throw new ForbiddenError(`Requires role: ${roles.join(' or ')}`);
    return true;
  }

  override handleRequest<T>(err: unknown, user: T): T {
    if (err || !user)
      throw err instanceof Error && !(err.name === 'UnauthorizedException') ? err : new UnauthorizedError();
    return user;
  }
}
