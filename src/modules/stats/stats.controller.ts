import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuth, CurrentUser, Roles } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { InstanceStatsDto, ProviderCountDto, SystemStatsDto, UserStatsDto } from './stats-views.dto';
import { InstanceStatsQuery, SystemStatsQuery, UserStatsQuery } from './stats.dto';
import { StatsService } from './stats.service';

const COUNTERS =
  '`messagesSent`, `messagesReceived`, `mediaSent`, `mediaReceived`, `totalMediaSize` (bytes), `apiCalls`, `webhookSent`';

@ApiTags('stats')
@ApiExtraModels(ProviderCountDto)
@ApiAuth()
@ApiProblemResponses(400)
@ApiExtraModels(ProviderCountDto)
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
  @ApiOkResponse({ type: InstanceStatsDto })
  @ApiProblemResponses([404, 'No such instance of the caller'])
  instance(@CurrentUser() principal: Principal, @Param('id') id: string, @Query() q: InstanceStatsQuery) {
    return this.stats.instance(principal, id, q.period);
  }

  @Get('system')
  @Roles('admin')
  @ApiOperation({ summary: 'Gateway-wide instances, users and usage (admin)' })
  @ApiOkResponse({ type: SystemStatsDto })
  @ApiProblemResponses([403, 'The caller is not an admin (`forbidden`)'])
  system(@Query() q: SystemStatsQuery) {
    return this.stats.system(q.period);
  }
}
