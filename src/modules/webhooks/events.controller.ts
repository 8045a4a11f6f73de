import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { findOwnedInstance } from '../instances/instance-access';
import { InstanceEntity } from '../instances-core/instance.entity';
import { EventFeedDto, EventsQuery } from './events.dto';
import { EventsService } from './events.service';

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
  @ApiOkResponse({ type: EventFeedDto })
  @ApiProblemResponses(400, [404, 'No such instance of the caller'])
  async list(@CurrentUser() principal: Principal, @Param('id') id: string, @Query() q: EventsQuery) {
    const instance = await findOwnedInstance(this.instances, principal, id);
    return this.events.feed(instance.id, q, instance.provider);
  }
}
