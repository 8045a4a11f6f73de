import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { ApiProblemResponses } from '../openapi/problem-responses';
import type { UserRole } from '../../modules/auth/user.entity';
import type { Principal } from './principal';

export const IS_PUBLIC = 'switchboard:isPublic';
export const ROLES = 'switchboard:roles';

/** Opt a route out of the global JWT / API-key guard (provider webhooks, login, health). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Restrict a route to the given roles (403 otherwise). */
export const Roles = (...roles: UserRole[]) => SetMetadata(ROLES, roles);

/** The authenticated caller. */
export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest().user,
);

/**
 * Swagger: both security schemes and what the guards answer on every authenticated route: 401
 * (no or bad credentials) and 429 (rate limit, ApiThrottlerGuard).
 */
export const ApiAuth = () =>
  applyDecorators(ApiBearerAuth('bearer'), ApiSecurity('api-key'), ApiProblemResponses(401, 429));
