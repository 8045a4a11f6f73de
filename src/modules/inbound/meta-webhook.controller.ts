import {
  Controller,
  Get,
  Header,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Type,
} from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../../common/auth/decorators';

/** What a Meta platform's webhook service offers its endpoints. */
export interface MetaWebhookHandler {
  /** @throws ForbiddenError (403) unless hub.mode is subscribe and hub.verify_token is an instance's. */
  handshake(mode?: string, token?: string, challenge?: string, instanceId?: string): Promise<string>;
  /** @param raw the body exactly as received, for `X-Hub-Signature-256`. */
  receive(raw: Buffer | undefined, signature: string | undefined, instanceId?: string): Promise<unknown>;
}

/**
 * The four endpoints every Meta platform's webhook has (WhatsApp Cloud, Messenger, Instagram):
 * the `hub.challenge` handshake and the signed POST, each on the shared URL `/<path>` (routed by
 * the payload) and per instance `/<path>/<instanceId>`. Meta gets its 200 only after every item
 * is durable; a wrong or missing signature is a 401 and stores nothing. One subclass per provider.
 */
export function MetaWebhookController(path: string, service: Type<MetaWebhookHandler>) {
  @ApiExcludeController()
  @Public()
  @Controller(path)
  class MetaWebhookEndpoints {
    constructor(@Inject(service) readonly webhooks: MetaWebhookHandler) {}

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
  return MetaWebhookEndpoints;
}
