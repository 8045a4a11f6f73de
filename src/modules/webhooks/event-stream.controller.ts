import { Controller, MessageEvent, Param, Query, Sse } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiProduces, PickType, ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { map, Observable } from 'rxjs';
import { Repository } from 'typeorm';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { findOwnedInstance } from '../instances/instance-access';
import { InstanceEntity } from '../instances/instance.entity';
import { EventStreamService } from './event-stream.service';
import { EventsQuery } from './events.controller';

/** `types`: comma-separated event types to receive; all when omitted. */
export class StreamQuery extends PickType(EventsQuery, ['types'] as const) {}

@ApiTags('events')
@ApiAuth()
@Controller('api/instances/:id/events')
export class EventStreamController {
  constructor(
    private readonly stream: EventStreamService,
    @InjectRepository(InstanceEntity) private readonly instances: Repository<InstanceEntity>,
  ) {}

  @Sse('stream')
  @ApiOperation({
    summary: 'Server-Sent Events: the instance’s events live, as they are recorded',
    description:
      'Each SSE message has `id` = the event sequence, `type` = the event name and `data` = the same envelope webhooks get. ' +
      'Authenticate with `Authorization: Bearer` or `x-api-key` (use an SSE client that can set headers).',
  })
  @ApiProduces('text/event-stream')
  @ApiNotFoundResponse({ description: 'No such instance of the caller' })
  async open(
    @CurrentUser() principal: Principal,
    @Param('id') id: string,
    @Query() q: StreamQuery,
  ): Promise<Observable<MessageEvent>> {
    const instance = await findOwnedInstance(this.instances, principal, id);
    return this.stream
      .follow(instance.id, instance.provider, q.types)
      .pipe(map((e) => ({ id: String(e.sequence), type: e.event, data: e })));
  }
}
