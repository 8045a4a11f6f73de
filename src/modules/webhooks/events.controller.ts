import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional } from 'class-validator';
import { Repository } from 'typeorm';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import { csv, QueryInt, StorableDate } from '../../common/validation/transforms';
import type { Principal } from '../../common/auth/principal';
import { findOwnedInstance } from '../instances/instance-access';
import { InstanceEntity } from '../instances/instance.entity';
import { EVENT_TYPES } from './event-types';
import { EventsService } from './events.service';

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

@ApiTags('events')
@ApiAuth()
@Controller('api/instances/:id/events')
export class EventsController {
  constructor(
    private readonly events: EventsService,
    @InjectRepository(InstanceEntity) private readonly instances: Repository<InstanceEntity>,
  ) {}

  @Get()
  @ApiOperation({
    summary: "The instance's recent events (the same outbox webhooks are delivered from), oldest first",
  })
  @ApiNotFoundResponse({ description: 'No such instance of the caller' })
  async list(@CurrentUser() principal: Principal, @Param('id') id: string, @Query() q: EventsQuery) {
    const instance = await findOwnedInstance(this.instances, principal, id);
    return this.events.feed(instance.id, q, instance.provider);
  }
}
