import { Controller, MessageEvent, Query, Sse, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { map, Observable } from 'rxjs';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import { isAdmin } from '../../common/auth/principal';
import type { Principal } from '../../common/auth/principal';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { ValidQueryGuard } from '../../common/validation/valid-query.guard';
import { StreamQuery } from './event-stream.controller';
import { EventStreamService } from './event-stream.service';

/**
 * One live feed for all of the caller's instances (the dashboard's): browsers allow few
 * connections per host, so one stream per instance would not scale past a handful.
 */
@ApiTags('events')
@ApiAuth()
@Controller('api/events')
export class AccountEventStreamController {
  constructor(private readonly stream: EventStreamService) {}

  @Sse('stream')
  @ApiOperation({
    summary: "Server-Sent Events: the events of all the caller's instances live (admins: every instance)",
    description:
      'The same messages as GET /api/instances/:id/events/stream (`id` = sequence, `type` = event name, `data` = the envelope, ' +
      'whose `instanceId` tells the instance), also for instances created after the stream opened. ' +
      'Authenticate with `Authorization: Bearer` or `x-api-key`.',
  })
  @ApiOkResponse({
    description:
      'An endless `text/event-stream`: per event `id: <sequence>`, `event: <event name>`, `data: <EventEnvelope as JSON>`',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiProblemResponses([
    400,
    'Invalid query (unknown or repeated parameter, unknown type), refused before the stream opens',
  ])
  @UseGuards(ValidQueryGuard(StreamQuery))
  open(@CurrentUser() principal: Principal, @Query() q: StreamQuery): Observable<MessageEvent> {
    return this.stream
      .followAccount(isAdmin(principal) ? null : principal.userId, q.types)
      .pipe(map((e) => ({ id: String(e.sequence), type: e.event, data: e })));
  }
}
