import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiUsageGuard } from './api-usage.guard';
import { LimitsService } from './limits.service';
import { UsageService } from './usage.service';

/**
 * Usage counters and per-instance limits, global so hot paths in any module can count without
 * import cycles (EventsService and RedisService are global too). Its API-call guard runs after
 * the auth and rate-limit guards: AppModule imports this module after theirs.
 */
@Global()
@Module({
  providers: [UsageService, LimitsService, { provide: APP_GUARD, useClass: ApiUsageGuard }],
  exports: [UsageService, LimitsService],
})
export class UsageModule {}
