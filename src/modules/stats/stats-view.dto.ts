import { ApiProperty } from '@nestjs/swagger';

/** The usage counters (multi-instance-api.md § Статистика), summed over UTC days. */
export class UsageCountsDto {
  messagesSent: number;
  messagesReceived: number;
  mediaSent: number;
  mediaReceived: number;
  /** Bytes. */
  totalMediaSize: number;
  apiCalls: number;
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

export class DailyUsageDto extends UsageCountsDto {
  /** ISO 8601, the UTC day at midnight. */
  date: string;
}

/** Webhook deliveries by status (retained ones: see WEBHOOK_RETENTION_*_MS). */
export class DeliveryCountsDto {
  pending: number;
  failed: number;
  succeeded: number;
  dead: number;
}

/** `GET /api/stats/user`. */
export class UserStatsDto {
  @ApiProperty({ enum: ['week', 'month', 'year', 'all'] }) period: string;
  @ApiProperty({ type: UserUsageTotalDto }) total: UserUsageTotalDto;
  @ApiProperty({ type: [InstanceUsageDto] }) instances: InstanceUsageDto[];
  /** Per UTC day over all the caller's instances; days with usage only, oldest first. */
  @ApiProperty({ type: [DailyUsageDto] }) daily: DailyUsageDto[];
  /** The caller's deliveries created in the period, by status. */
  @ApiProperty({ type: DeliveryCountsDto }) deliveries: DeliveryCountsDto;
}

export class CountActiveDto {
  total: number;
  active: number;
}

export class ProviderCountDto {
  count: number;
  /** Connected instances. */
  active: number;
}

/** `GET /api/stats/system` (admins). */
export class SystemStatsDto {
  @ApiProperty({ enum: ['week', 'month', 'year', 'all', 'today'] }) period: string;
  /** `active`: connected. */
  @ApiProperty({ type: CountActiveDto }) instances: CountActiveDto;
  /** `active`: not deactivated. */
  @ApiProperty({ type: CountActiveDto }) users: CountActiveDto;
  @ApiProperty({ type: UsageCountsDto }) usage: UsageCountsDto;
  /** By provider key. */
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/ProviderCountDto' } })
  providers: Record<string, ProviderCountDto>;
}
