import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { SendRoute } from '../../common/throttling/rate-limit-routes';
import { MultiProviderCreateDto, MultiProviderSendDto } from './compat.dto';
import { CompatService } from './compat.service';

/** multi-provider-system.md routes, authenticated like every other route. */
@ApiTags('compatibility')
@ApiAuth()
@Controller('api/v1/multi-provider')
export class MultiProviderCompatController {
  constructor(private readonly compat: CompatService) {}

  @Post('instances')
  @ApiOperation({
    summary: 'System doc: create `{provider, config}` → `{instanceId, provider, status: "created"}`',
  })
  @ApiCreatedResponse({ description: '`{instanceId, provider, status}`' })
  create(@CurrentUser() p: Principal, @Body() dto: MultiProviderCreateDto) {
    return this.compat.createInstance(p, dto);
  }

  @Get('instances')
  @ApiOperation({
    summary: 'System doc: the caller’s instances `{instances: [{instanceId, provider, name, status}]}`',
  })
  list(@CurrentUser() p: Principal) {
    return this.compat.listInstances(p);
  }

  @Post('instances/:provider/:instanceId/send-message')
  @HttpCode(200)
  @SendRoute()
  @ApiOperation({
    summary: 'System doc: send text `{to, message}` → `{success, messageId, providerMessageId}`',
  })
  @ApiNotFoundResponse({ description: 'No such instance of the caller with this provider' })
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
  status(@CurrentUser() p: Principal, @Param('provider') provider: string, @Param('instanceId') id: string) {
    return this.compat.providerStatus(p, provider, id);
  }

  @Get('stats')
  @ApiOperation({
    summary: 'System doc: instances per provider `{stats: {<Provider>: {count, instances}}, timestamp}`',
  })
  @ApiOkResponse({ description: 'The caller’s instances (admins: all) grouped by provider' })
  stats(@CurrentUser() p: Principal) {
    return this.compat.providerStats(p);
  }

  @Get('active-providers')
  @ApiOperation({ summary: 'System doc: providers this gateway runs `{providers, count}`' })
  activeProviders() {
    return this.compat.activeProviders();
  }
}
