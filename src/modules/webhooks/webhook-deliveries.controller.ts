import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { findOwnedInstance } from '../instances/instance-access';
import { InstanceEntity } from '../instances-core/instance.entity';
import {
  DeliveriesQuery,
  DeliveryDetailDto,
  DeliveryListDto,
  DeliveryViewDto,
  ReplayDto,
  ReplayResultDto,
  RotateSecretDto,
  RotateSecretResultDto,
  WebhookTestResultDto,
} from './webhook-deliveries.dto';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookEndpointService } from './webhook-endpoint.service';

/** The delivery log, resend and replay, the test event and secret rotation (issue 3). */
@ApiTags('webhook deliveries')
@ApiAuth()
@ApiProblemResponses([404, 'No such instance or delivery of the caller'])
@Controller('api')
export class WebhookDeliveriesController {
  constructor(
    private readonly deliveries: WebhookDeliveriesService,
    private readonly endpoint: WebhookEndpointService,
    @InjectRepository(InstanceEntity) private readonly instances: Repository<InstanceEntity>,
  ) {}

  @Get('instances/:id/webhook-deliveries')
  @ApiOperation({
    summary: "The instance's deliveries, newest first (status, event, since, until, limit, skip)",
  })
  @ApiOkResponse({ type: DeliveryListDto })
  @ApiProblemResponses(400)
  async list(@CurrentUser() principal: Principal, @Param('id') id: string, @Query() q: DeliveriesQuery) {
    return this.deliveries.list(await findOwnedInstance(this.instances, principal, id), q);
  }

  @Post('instances/:id/webhook-deliveries/replay')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Re-deliver every event recorded in [since, until] (optionally only those whose latest delivery has `status`)',
    description:
      'New deliveries with the same `webhook-id` per event, sent one at a time in `sequence` order (a healthy endpoint receives them in order).',
  })
  @ApiAcceptedResponse({ type: ReplayResultDto })
  @ApiProblemResponses(400, [422, '`webhook_disabled`: enable the webhook first'])
  async replay(@CurrentUser() principal: Principal, @Param('id') id: string, @Body() dto: ReplayDto) {
    return this.deliveries.replay(await findOwnedInstance(this.instances, principal, id), dto);
  }

  @Post('instances/:id/webhook/test')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send a signed `webhook_test` event now and return the attempt’s outcome',
    description:
      'Recorded like any delivery (visible in the log); one attempt, no retries; works while disabled.',
  })
  @ApiOkResponse({ type: WebhookTestResultDto })
  @ApiProblemResponses([422, '`webhook_not_configured`: no webhookUrl'])
  async test(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.deliveries.test(await findOwnedInstance(this.instances, principal, id));
  }

  @Post('instances/:id/webhook/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Replace the signing secret; the old one keeps signing for `graceMs` (default 24 h)',
    description:
      'Returns the new `whsec_…` secret once. During the grace `webhook-signature` carries `v1,<new> v1,<old>`; `X-Webhook-Signature` uses the new secret.',
  })
  @ApiOkResponse({ type: RotateSecretResultDto })
  @ApiProblemResponses(400)
  async rotateSecret(
    @CurrentUser() principal: Principal,
    @Param('id') id: string,
    @Body() dto: RotateSecretDto,
  ) {
    return this.endpoint.rotateSecret(await findOwnedInstance(this.instances, principal, id), dto.graceMs);
  }

  @Get('webhook-deliveries/:id')
  @ApiOperation({ summary: 'One delivery with its envelope and every attempt' })
  @ApiOkResponse({ type: DeliveryDetailDto })
  detail(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.deliveries.detail(principal, id);
  }

  @Post('webhook-deliveries/:id/retry')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send a succeeded or dead delivery again: a new attempt series, same `webhook-id`',
  })
  @ApiAcceptedResponse({ type: DeliveryViewDto })
  @ApiProblemResponses(
    [409, '`delivery_in_progress`: still pending or retrying'],
    [422, '`webhook_disabled`: enable the webhook first'],
  )
  retry(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.deliveries.retry(principal, id);
  }
}
