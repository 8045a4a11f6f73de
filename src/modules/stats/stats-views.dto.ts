import { ApiProperty } from '@nestjs/swagger';

/** Usage counters summed over the period (multi-instance-api.md § Статистика). */
export class UsageCountsDto {
  messagesSent: number;
  messagesReceived: number;
  mediaSent: number;
  mediaReceived: number;
  /** Bytes of media received. */
  totalMediaSize: number;
  /** Authenticated API requests touching the instance. */
  apiCalls: number;
  /** Webhook deliveries that succeeded. */
  webhookSent: number;
}

export class UserUsageTotalDto extends UsageCountsDto {
  instanceCount: number;
}

export class InstanceUsageDto extends UsageCountsDto {
  instanceId: string;
  name: string;
  provider: string;
}

/** `GET /api/stats/user`. */
/** Webhook deliveries by status (retained ones: see WEBHOOK_RETENTION_*_MS). */
export class DeliveryCountsDto {
  pending: number;
  failed: number;
  succeeded: number;
  dead: number;
}

export class UserStatsDto {
  @ApiProperty({ example: 'month' }) period: string;
  total: UserUsageTotalDto;
  /** Every instance of the caller, also those without usage. */
  instances: InstanceUsageDto[];
  /** Per UTC day over all the caller's instances; days with usage only, oldest first. */
  @ApiProperty({ type: () => [DailyUsageDto] }) daily: DailyUsageDto[];
  /** The caller's deliveries created in the period, by status. */
  deliveries: DeliveryCountsDto;
}

export class DailyUsageDto extends UsageCountsDto {
  /** ISO 8601, UTC midnight of the day. */
  date: string;
}

export class InstanceUsageWithDaysDto extends UsageCountsDto {
  /** Days with usage only, oldest first. */
  dailyStats: DailyUsageDto[];
}

/** `GET /api/stats/instances/{id}`. */
export class InstanceStatsDto {
  instanceId: string;
  @ApiProperty({ example: 'today' }) period: string;
  usage: InstanceUsageWithDaysDto;
}

export class CountActiveDto {
  total: number;
  /** Instances: connected; users: active. */
  active: number;
}

export class ProviderCountDto {
  count: number;
  /** Connected. */
  active: number;
}

/** `GET /api/stats/system`. */
export class SystemStatsDto {
  @ApiProperty({ example: 'all' }) period: string;
  instances: CountActiveDto;
  users: CountActiveDto;
  usage: UsageCountsDto;
  /** Per provider key. */
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/ProviderCountDto' },
    example: { telegram: { count: 2, active: 1 } },
  })
  providers: Record<string, ProviderCountDto>;
}
