import { Controller, Get, Header, Headers, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../../common/auth/decorators';
import { MessengerWebhookService } from './messenger-webhook.service';

/**
 * Messenger webhook endpoints (configure `<PUBLIC_BASE_URL>/webhooks/messenger` as the
 * callback URL in the Meta app, or `/webhooks/messenger/<instanceId>` per instance; subscribe the Page to messages, message_deliveries,
 * message_reads, message_reactions, message_echoes, messaging_postbacks). Meta gets its
 * 200 only after every item is durable; a wrong or missing signature is a 401 and stores nothing.
 */
@ApiExcludeController()
@Public()
@Controller('webhooks/messenger')
export class MessengerWebhookController {
  constructor(private readonly webhooks: MessengerWebhookService) {}

  @Get()
  @Header('content-type', 'text/plain; charset=utf-8')
  verify(
    @Query('hub.mode') mode?: string,
    @Query('hub.verify_token') token?: string,
    @Query('hub.challenge') challenge?: string,
  ) {
    return this.webhooks.handshake(mode, token, challenge);
  }

  @Get(':instanceId')
  @Header('content-type', 'text/plain; charset=utf-8')
  verifyInstance(
    @Param('instanceId') instanceId: string,
    @Query('hub.mode') mode?: string,
    @Query('hub.verify_token') token?: string,
    @Query('hub.challenge') challenge?: string,
  ) {
    return this.webhooks.handshake(mode, token, challenge, instanceId);
  }

  @Post()
  @HttpCode(200)
  receive(@Req() req: RawBodyRequest<Request>, @Headers('x-hub-signature-256') signature?: string) {
    return this.webhooks.receive(req.rawBody, signature);
  }

  @Post(':instanceId')
  @HttpCode(200)
  receiveInstance(
    @Param('instanceId') instanceId: string,
    @Req() req: RawBodyRequest<Request>,
    @Headers('x-hub-signature-256') signature?: string,
  ) {
    return this.webhooks.receive(req.rawBody, signature, instanceId);
  }
}
