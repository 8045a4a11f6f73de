import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ApiUsageInterceptor } from './api-usage.interceptor';
import { LimitsService } from './limits.service';
import { UsageService } from './usage.service';

/**
 * Usage counters and per-instance limits, global so hot paths in any module can count without
 * import cycles (EventsService and RedisService are global too).
 */
@Global()
@Module({
  providers: [UsageService, LimitsService, { provide: APP_INTERCEPTOR, useClass: ApiUsageInterceptor }],
  exports: [UsageService, LimitsService],
})
export class UsageModule {}
