import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { InstanceStatusDto } from '../instances/instance-views.dto';
import type { Principal } from '../../common/auth/principal';
import { SendRoute } from '../../common/throttling/rate-limit-routes';
import { MultiProviderCreateDto, MultiProviderSendDto } from './compat.dto';
import { CompatService } from './compat.service';
import {
  ActiveProvidersDto,
  MultiProviderCreatedDto,
  MultiProviderInstanceListDto,
  MultiProviderSendResultDto,
  MultiProviderStatsDto,
  ProviderInstancesDto,
} from './compat-views.dto';

const NOT_FOUND: [number, string] = [404, 'No such instance of the caller with this provider'];

/** multi-provider-system.md routes, authenticated like every other route. */
@ApiTags('compatibility')
@ApiAuth()
@ApiExtraModels(ProviderInstancesDto)
@Controller('api/v1/multi-provider')
export class MultiProviderCompatController {
  constructor(private readonly compat: CompatService) {}

  @Post('instances')
  @ApiOperation({
    summary: 'System doc: create `{provider, config}` → `{instanceId, provider, status: "created"}`',
  })
  @ApiCreatedResponse({ type: MultiProviderCreatedDto })
  @ApiProblemResponses(
    [400, 'Validation failed, including `config` (e.g. `config.accessToken`); `errors` names each field'],
    [409, 'This bot or account is already connected to another instance'],
    [422, 'The provider rejected the credentials; `providerCode` and `providerDescription` are its own'],
    502,
  )
  create(@CurrentUser() p: Principal, @Body() dto: MultiProviderCreateDto) {
    return this.compat.createInstance(p, dto);
  }

  @Get('instances')
  @ApiOperation({
    summary: 'System doc: the caller’s instances `{instances: [{instanceId, provider, name, status}]}`',
  })
  @ApiOkResponse({ type: MultiProviderInstanceListDto })
  list(@CurrentUser() p: Principal) {
    return this.compat.listInstances(p);
  }

  @Post('instances/:provider/:instanceId/send-message')
  @HttpCode(200)
  @SendRoute()
  @ApiOperation({
    summary: 'System doc: send text `{to, message}` → `{success, messageId, providerMessageId}`',
  })
  @ApiOkResponse({ type: MultiProviderSendResultDto })
  @ApiProblemResponses(
    [400, 'Validation failed, or the provider rejected the request (`provider_bad_request`)'],
    NOT_FOUND,
    [422, 'The recipient blocked the bot, or the text is too long for the provider'],
    [
      429,
      'Provider rate limit (`provider_rate_limited`), our rate limit (`rate_limited`) or a daily instance limit (`limit_exceeded`); `Retry-After` in seconds',
    ],
    502,
  )
  send(
    @CurrentUser() p: Principal,
    @Param('provider') provider: string,
    @Param('instanceId') id: string,
    @Body() dto: MultiProviderSendDto,
  ) {
    return this.compat.sendMessage(p, provider, id, dto);
  }

  @Get('instances/:provider/:instanceId/status')
  @ApiOperation({ summary: 'System doc: instance status' })
  @ApiOkResponse({ type: InstanceStatusDto })
  @ApiProblemResponses(NOT_FOUND)
  status(@CurrentUser() p: Principal, @Param('provider') provider: string, @Param('instanceId') id: string) {
    return this.compat.providerStatus(p, provider, id);
  }

  @Get('stats')
  @ApiOperation({
    summary: 'System doc: instances per provider `{stats: {<Provider>: {count, instances}}, timestamp}`',
  })
  @ApiOkResponse({
    type: MultiProviderStatsDto,
    description: 'The caller’s instances (admins: all) grouped by provider',
  })
  stats(@CurrentUser() p: Principal) {
    return this.compat.providerStats(p);
  }

  @Get('active-providers')
  @ApiOperation({ summary: 'System doc: providers this gateway runs `{providers, count}`' })
  @ApiOkResponse({ type: ActiveProvidersDto })
  activeProviders() {
    return this.compat.activeProviders();
  }
}
