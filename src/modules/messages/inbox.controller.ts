import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { ChatSeenDto, InboxListDto, InboxQuery } from './inbox.dto';
import { InboxService } from './inbox.service';

/** The operator inbox across instances (issue 12, seeds/bot-as-proxy.md). */
@ApiTags('messages')
@ApiAuth()
@Controller('api')
export class InboxController {
  constructor(private readonly inbox: InboxService) {}

  @Get('chats')
  @ApiOperation({
    summary:
      "Chats across the caller's instances, most recent first, with the newest message and unread count",
    description:
      'Admins see every instance’s chats, as in GET /api/instances. `instanceId` narrows to one instance.',
  })
  @ApiOkResponse({ type: InboxListDto })
  @ApiProblemResponses(400)
  list(@CurrentUser() principal: Principal, @Query() q: InboxQuery) {
    return this.inbox.list(principal, q);
  }

  @Post('instances/:id/chats/:chatId/seen')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Mark a chat read in Switchboard (resets its unreadCount); chatId is our chat id or the provider’s',
    description:
      'Operators’ read marker only: the provider is not told (for WhatsApp blue ticks use POST …/messages/:messageId/read).',
  })
  @ApiOkResponse({ type: ChatSeenDto })
  @ApiProblemResponses([404, 'No such instance or chat of the caller'])
  seen(@CurrentUser() principal: Principal, @Param('id') id: string, @Param('chatId') chatId: string) {
    return this.inbox.seen(principal, id, chatId);
  }
}
