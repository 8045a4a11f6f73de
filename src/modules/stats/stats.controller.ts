import { Controller, Get, Param, Query } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiAuth, CurrentUser, Roles } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { InstanceStatsQuery, SystemStatsQuery, UserStatsQuery } from './stats.dto';
import { StatsService } from './stats.service';
import { ProviderCountDto, SystemStatsDto, UserStatsDto } from './stats-view.dto';

const COUNTERS =
  '`messagesSent`, `messagesReceived`, `mediaSent`, `mediaReceived`, `totalMediaSize` (bytes), `apiCalls`, `webhookSent`';

@ApiTags('stats')
@ApiExtraModels(ProviderCountDto)
@ApiAuth()
@Controller('api/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get('user')
  @ApiOperation({
    summary: "The caller's usage: totals and per instance",
    description: `Counters ${COUNTERS} per UTC day, summed over the period. Counts are flushed every USAGE_FLUSH_INTERVAL_MS.`,
  })
  @ApiOkResponse({ type: UserStatsDto })
  user(@CurrentUser() principal: Principal, @Query() q: UserStatsQuery) {
    return this.stats.user(principal, q.period);
  }

  @Get('instances/:id')
  @ApiOperation({ summary: "One instance's usage with daily figures" })
  @ApiOkResponse({
    description: '`{instanceId, period, usage: {…counters, dailyStats: [{date, …counters}]}}`',
  })
  @ApiNotFoundResponse({ description: 'No such instance of the caller (problem+json)' })
  instance(@CurrentUser() principal: Principal, @Param('id') id: string, @Query() q: InstanceStatsQuery) {
    return this.stats.instance(principal, id, q.period);
  }

  @Get('system')
  @Roles('admin')
  @ApiOperation({ summary: 'Gateway-wide instances, users and usage (admin)' })
  @ApiOkResponse({ type: SystemStatsDto })
  @ApiForbiddenResponse({ description: 'Not an admin (problem+json)' })
  system(@Query() q: SystemStatsQuery) {
    return this.stats.system(q.period);
  }
}
