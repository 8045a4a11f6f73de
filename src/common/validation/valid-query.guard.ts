import { CanActivate, ExecutionContext, mixin, Type } from '@nestjs/common';
import type { Request } from 'express';
import { inputPipes } from './request-input.pipe';

/**
 * A guard that validates the query string against `dto` with the global input pipes. For
 * streaming routes (@Sse): Nest runs their pipes only once the handler's observable is
 * subscribed, after the interceptors' async work, by which time the `text/event-stream` headers
 * may be out and a validation error can only be sent as `event: error`. Guards run before any
 * of that, so a bad query is always a 400 problem+json. The handler's own @Query() validation
 * then passes the same input again.
 */
export function ValidQueryGuard(dto: Type): Type<CanActivate> {
  class ValidQuery implements CanActivate {
    private readonly pipes = inputPipes();

    async canActivate(ctx: ExecutionContext): Promise<boolean> {
      let value: unknown = ctx.switchToHttp().getRequest<Request>().query;
      for (const pipe of this.pipes) value = await pipe.transform(value, { type: 'query', metatype: dto });
      return true;
    }
  }
  return mixin(ValidQuery);
}
