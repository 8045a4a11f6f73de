import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { PageQuery } from '../../common/pagination/pagination';
import type { Pagination } from '../../common/pagination/pagination';
import { PaginationDto } from '../../common/pagination/pagination.dto';
import type { EventEnvelope } from './event-types';
import { EVENT_TYPES } from './event-types';
import type { DeliveryStatus } from './webhook-delivery.entity';

export const DELIVERY_STATUSES = ['pending', 'failed', 'succeeded', 'dead'] as const;

/** `GET /api/instances/:id/webhook-deliveries` filters; newest first. */
export class DeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
  /** Event type, e.g. `message_received`. */
  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @IsOptional()
  @IsIn(EVENT_TYPES)
  event?: string;
  /** ISO 8601; deliveries created at or after. */
  @IsOptional() @Type(() => Date) @IsDate() since?: Date;
  /** ISO 8601; deliveries created at or before. */
  @IsOptional() @Type(() => Date) @IsDate() until?: Date;
}

/** `POST /api/instances/:id/webhook-deliveries/replay`. */
export class ReplayDto {
  /** ISO 8601; events recorded at or after. @example 2026-11-21T10:00:00.000Z */
  @Type(() => Date) @IsDate() since: Date;
  /** ISO 8601; events recorded at or before (default: now). */
  @IsOptional() @Type(() => Date) @IsDate() until?: Date;
  /** Only events whose latest delivery has this status (events never delivered are then left out). */
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}

/** `POST /api/instances/:id/webhook/rotate-secret`. */
export class RotateSecretDto {
  /** How long the old secret keeps signing, ms (0–30 days; default WEBHOOK_SECRET_GRACE_MS). @example 86400000 */
  @IsOptional() @IsInt() @Min(0) @Max(30 * 86_400_000) graceMs?: number;
}

/** One delivery of one event to one URL. */
export class DeliveryViewDto {
  id: string;
  /** The event id: the `webhook-id` header. */
  eventId: string;
  /** Event type. */
  event: string;
  sequence: number;
  instanceId: string;
  url: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status: DeliveryStatus;
  /** Attempts made so far, across all series. */
  attempts: number;
  /** Manual retry series (0 = original). */
  series: number;
  /** True for a replay (delivered in `sequence` order). */
  replay: boolean;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  /** `<class>: <detail>`, e.g. `http_500`, `payload_too_large: 300000 bytes > 262144`. */
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One POST to the endpoint. */
export class AttemptViewDto {
  /** 1-based, numbered across retry series. */
  attempt: number;
  statusCode: number | null;
  /** ms */
  durationMs: number;
  /** Error class: `timeout`, `connect_error`, `redirect`, `http_<code>`, `blocked_address`, …; null on success. */
  error: string | null;
  /** First ≤ 4 KiB of the response body. */
  responseSnippet: string | null;
  createdAt: Date;
}

/** `GET /api/webhook-deliveries/:id`. */
export class DeliveryDetailDto {
  @ApiProperty({ type: DeliveryViewDto }) delivery: DeliveryViewDto;
  /** The envelope as sent (its `timestamp` is the event's). */
  @ApiProperty({ type: 'object', additionalProperties: true }) envelope: EventEnvelope;
  /** Every attempt, oldest first. */
  @ApiProperty({ type: [AttemptViewDto] }) attempts: AttemptViewDto[];
}

export class DeliveryListDto {
  @ApiProperty({ type: [DeliveryViewDto] }) deliveries: DeliveryViewDto[];
  @ApiProperty({ type: PaginationDto }) pagination: Pagination;
}

export class ReplayResultDto {
  /** How many events were queued again. */
  replayed: number;
  /** The new deliveries, in `sequence` order. */
  deliveryIds: string[];
  /** True when more than the per-call cap (10,000) matched: replay again from the last event's time. */
  truncated: boolean;
}

/** Outcome of `POST /api/instances/:id/webhook/test`. */
export class WebhookTestResultDto {
  delivered: boolean;
  statusCode: number | null;
  /** ms */
  durationMs: number;
  /** `<class>: <detail>` or null. */
  error: string | null;
  responseSnippet: string | null;
  deliveryId: string;
  eventId: string;
}

export class RotateSecretResultDto {
  /** The new `whsec_…` secret; shown only in this response. */
  webhookSecret: string;
  /** When the previous secret stops signing; null when there was none or graceMs was 0. */
  previousSecretExpiresAt: string | null;
}
