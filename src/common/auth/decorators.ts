import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
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

/** Swagger: both security schemes and the 401 problem response. */
export const ApiAuth = () =>
  applyDecorators(
    ApiBearerAuth('bearer'),
    ApiSecurity('api-key'),
    ApiUnauthorizedResponse({
      description: 'Missing or invalid `Authorization: Bearer` token or `x-api-key` (problem+json)',
    }),
  );
