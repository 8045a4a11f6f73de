import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { INSTANCE_PERIODS, USER_PERIODS } from './stats-period';

export class UserStatsQuery {
  /** Days covered, today included: week = 7, month = 30, year = 365. */
  @ApiPropertyOptional({ enum: USER_PERIODS, default: 'month' })
  @IsOptional()
  @IsIn(USER_PERIODS)
  period?: (typeof USER_PERIODS)[number];
}

export class InstanceStatsQuery {
  /** Days covered, today included: today = 1, week = 7, month = 30. */
  @ApiPropertyOptional({ enum: INSTANCE_PERIODS, default: 'today' })
  @IsOptional()
  @IsIn(INSTANCE_PERIODS)
  period?: (typeof INSTANCE_PERIODS)[number];
}

export class SystemStatsQuery {
  @ApiPropertyOptional({ enum: [...USER_PERIODS, 'today'], default: 'all' })
  @IsOptional()
  @IsIn([...USER_PERIODS, 'today'])
  period?: (typeof USER_PERIODS)[number] | 'today';
}
