import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional } from 'class-validator';
import { csv, QueryInt, StorableDate } from '../../common/validation/transforms';
import { EVENT_TYPES } from './event-types';

export class EventsQuery {
  /** ISO 8601; events recorded after this time. */
  @IsOptional() @StorableDate() since?: Date;
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 20 })
  @IsOptional()
  @QueryInt(1, 500)
  limit?: number;
  /** Comma-separated event types, e.g. `message_sent,message_received`. */
  @ApiPropertyOptional({ type: String, example: 'message_sent,message_received' })
  @IsOptional()
  @Transform(csv)
  @IsIn(EVENT_TYPES, { each: true })
  types?: string[];
}

/** `GET /api/instances/{id}/events`. */
export class EventFeedDto {
  /** Oldest first. */
  @ApiProperty({ type: 'array', items: { $ref: '#/components/schemas/EventFeedItem' } })
  events: unknown[];
  /** The last event's `timestamp`: pass it as `since` to read on; null when there are none. */
  latestTimestamp: string | null;
  count: number;
  /** More events follow this page. */
  hasMore: boolean;
}
