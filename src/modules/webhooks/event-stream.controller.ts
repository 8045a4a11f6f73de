import { Controller, MessageEvent, Query, Req, Sse, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, PickType, ApiTags } from '@nestjs/swagger';
import { map, Observable } from 'rxjs';
import { ApiAuth } from '../../common/auth/decorators';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { ValidQueryGuard } from '../../common/validation/valid-query.guard';
import { InstanceOwnerGuard } from '../instances/instance-owner.guard';
import type { RequestWithInstance } from '../instances/instance-owner.guard';
import { EventStreamService } from './event-stream.service';
import { EventsQuery } from './events.dto';

/** `types`: comma-separated event types to receive; all when omitted. */
export class StreamQuery extends PickType(EventsQuery, ['types'] as const) {}

@ApiTags('events')
@ApiAuth()
@Controller('api/instances/:id/events')
export class EventStreamController {
  constructor(private readonly stream: EventStreamService) {}

  @Sse('stream')
  @ApiOperation({
    summary: 'Server-Sent Events: the instance’s events live, as they are recorded',
    description:
      'Each SSE message has `id` = the event sequence, `type` = the event name and `data` = the same envelope webhooks get. ' +
      'Authenticate with `Authorization: Bearer` or `x-api-key` (use an SSE client that can set headers).',
  })
  @ApiParam({ name: 'id', description: 'The instance id', schema: { type: 'string', format: 'uuid' } })
  @ApiOkResponse({
    description:
      'An endless `text/event-stream`: per event `id: <sequence>`, `event: <event name>`, `data: <EventEnvelope as JSON>`',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiProblemResponses(
    [400, 'Invalid query (unknown or repeated parameter, unknown type), refused before the stream opens'],
    [404, 'No such instance of the caller'],
  )
  @UseGuards(InstanceOwnerGuard, ValidQueryGuard(StreamQuery))
  open(@Req() req: RequestWithInstance, @Query() q: StreamQuery): Observable<MessageEvent> {
    const instance = req.instance!;
    return this.stream
      .follow(instance.id, instance.provider, q.types)
      .pipe(map((e) => ({ id: String(e.sequence), type: e.event, data: e })));
  }
}
