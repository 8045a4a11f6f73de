import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerLimitDetail } from '@nestjs/throttler';
import { AppError } from '../errors/app-error';

/**
 * The throttler guard with our error: 429 problem+json `rate_limited` naming the budget, with
 * `Retry-After` (seconds) whatever the throttler's name (the stock guard suffixes it).
 */
@Injectable()
export class ApiThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
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
}
