import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { PageQuery } from '../../common/pagination/pagination';
import { ActivityQuery, CreateInstanceDto, UpdateInstanceDto } from './instances.dto';
import { InstancesService } from './instances.service';
import { ProviderCapabilitiesDto } from '../providers/providers.dto';
import {
  ActivityListDto,
  CreatedInstanceDto,
  InstanceActionResultDto,
  InstanceDetailDto,
  InstanceListDto,
  ReconnectResultDto,
  UpdatedInstanceDto,
} from './instance-view.dto';

@ApiTags('instances')
@ApiAuth()
@ApiNotFoundResponse({ description: 'No such instance of the caller (problem+json)' })
@Controller('api/instances')
export class InstancesController {
  constructor(private readonly instances: InstancesService) {}

  @Post()
  @ApiOperation({
    summary: 'Create an instance (a connected bot/account)',
    description:
      'Checks the credentials with the provider (Telegram: getMe; Meta: a Graph GET of the phone number, Page or account) ' +
      'before saving anything. A bad token is a 422 and nothing is stored. ' +
      'When `webhookSecret` is omitted one is generated and returned once as `webhookSecret`.',
  })
  @ApiBody({
    type: CreateInstanceDto,
    examples: {
      telegram: {
        value: { provider: 'telegram', name: 'Support bot', config: { botToken: '123456789:ABCDEF…' } },
      },
      'whatsapp-official': {
        value: {
          provider: 'whatsapp-official',
          name: 'Support line',
          config: {
            phoneNumberId: '106540352242922',
            accessToken: 'EAAG…',
            appSecret: '1222e786b144d0e85b9f365372d93676',
            webhookVerifyToken: 'choose-one',
            wabaId: '102290129340398',
            version: 'v23.0',
          },
        },
      },
      'facebook-messenger': {
        value: {
          provider: 'facebook-messenger',
          name: 'Page inbox',
          config: {
            pageId: '112233445566778',
            pageAccessToken: 'EAAG…',
            appSecret: '…',
            webhookVerifyToken: 'choose-one',
          },
        },
      },
      instagram: {
        value: {
          provider: 'instagram',
          name: 'Instagram DMs',
          config: {
            igId: '17841452691600098',
            accessToken: 'IGAA…',
            appSecret: '…',
            webhookVerifyToken: 'choose-one',
          },
        },
      },
    },
  })
  @ApiCreatedResponse({ type: CreatedInstanceDto, description: 'The instance (secrets masked)' })
  @ApiBadRequestResponse({ description: 'Validation failed; `errors` names each field' })
  @ApiUnprocessableEntityResponse({ description: 'The provider rejected the credentials' })
  @ApiConflictResponse({ description: 'This bot is already connected to another instance' })
  create(@CurrentUser() principal: Principal, @Body() dto: CreateInstanceDto) {
    return this.instances.create(principal, dto);
  }

  @Get()
  @ApiOperation({ summary: "The caller's instances (admins: all), newest first" })
  @ApiOkResponse({ type: InstanceListDto })
  list(@CurrentUser() principal: Principal, @Query() q: PageQuery) {
    return this.instances.list(principal, q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One instance with its webhook settings and masked provider config' })
  @ApiOkResponse({ type: InstanceDetailDto })
  get(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.instances.describe(principal, id);
  }

  @Put(':id')
  @ApiOperation({
    summary: 'Update name, description and webhook settings (flat or the seeds’ nested `webhookSettings`)',
  })
  @ApiOkResponse({ type: UpdatedInstanceDto })
  update(@CurrentUser() principal: Principal, @Param('id') id: string, @Body() dto: UpdateInstanceDto) {
    return this.instances.update(principal, id, dto);
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Disconnect and delete the instance with its chats, messages, contacts and events',
  })
  @ApiOkResponse({ type: InstanceActionResultDto })
  remove(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.instances.remove(principal, id);
  }

  @Get(':id/status')
  @ApiOperation({ summary: 'Connection status' })
  status(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.instances.status(principal, id);
  }

  @Post(':id/reconnect')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reconnect (Telegram: setWebhook again, or resume polling)' })
  @ApiOkResponse({ type: ReconnectResultDto })
  reconnect(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.instances.reconnect(principal, id);
  }

  @Post(':id/logout')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop receiving and mark the instance disconnected' })
  @ApiOkResponse({ type: InstanceActionResultDto })
  logout(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.instances.logout(principal, id);
  }

  @Get(':id/qr')
  @ApiOperation({ summary: 'QR code for login (WhatsApp Web only; other providers answer 422)' })
  @ApiUnprocessableEntityResponse({ description: 'The provider has no QR login' })
  qr(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.instances.qr(principal, id);
  }

  @Get(':id/capabilities')
  @ApiOperation({ summary: 'What the provider supports: message types, limits, receipts' })
  @ApiOkResponse({ type: ProviderCapabilitiesDto })
  capabilities(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.instances.capabilities(principal, id);
  }

  @Get(':id/activity')
  @ApiOperation({ summary: 'Activity log (limit, skip, actions, startDate, endDate)' })
  @ApiOkResponse({ type: ActivityListDto })
  async activity(@CurrentUser() principal: Principal, @Param('id') id: string, @Query() q: ActivityQuery) {
    return this.instances.activityLog(await this.instances.get(principal, id), q);
  }
}
