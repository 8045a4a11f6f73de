import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard as PassportAuthGuard } from '@nestjs/passport';
import { ForbiddenError, UnauthorizedError } from '../errors/app-error';
import { IS_PUBLIC, ROLES } from './decorators';
import type { Principal } from './principal';

/**
 * The one global guard (STYLE.md §4): `Authorization: Bearer <jwt>` or `x-api-key: <key>`,
 * `@Public()` opts out, `@Roles()` narrows. Registered as APP_GUARD.
 */
@Injectable()
export class AuthGuard extends PassportAuthGuard(['jwt', 'api-key']) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    await (super.canActivate(context) as Promise<boolean>);
    const roles = this.reflector.getAllAndOverride<string[] | undefined>(ROLES, targets);
    const user = context.switchToHttp().getRequest().user as Principal;
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
