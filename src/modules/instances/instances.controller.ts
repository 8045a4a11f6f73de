import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Res,
  StreamableFile,
} from '@nestjs/common';
import type { Response } from 'express';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { QrQuery, renderQr } from '../providers/whatsapp-web/whatsapp-web.dto';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { SuccessResponseDto } from '../../common/openapi/success-response.dto';
import type { Principal } from '../../common/auth/principal';
import { PageQuery } from '../../common/pagination/pagination';
import { ActivityQuery, CreateInstanceDto, UpdateInstanceDto } from './instances.dto';
import { InstancesService } from './instances.service';
import { ProviderCapabilitiesDto } from '../providers/providers.dto';
import {
  ActivityListDto,
  CreatedInstanceDto,
  InstanceDetailDto,
  InstanceListDto,
  InstanceStatusDto,
  QrCodeDto,
  ReconnectResultDto,
  UpdatedInstanceDto,
} from './instance-views.dto';
import { CREATE_INSTANCE_EXAMPLES } from '../providers/providers.module';

const NOT_FOUND: [number, string] = [404, 'No such instance of the caller'];

@ApiTags('instances')
@ApiAuth()
@Controller('api/instances')
export class InstancesController {
  constructor(private readonly instances: InstancesService) {}

  @Post()
  @ApiOperation({
    summary: 'Create an instance (a connected bot/account)',
    description:
      'Checks the credentials with the provider (Telegram: getMe; Meta: a Graph GET of the phone number, Page or account) ' +
      'before saving anything. A config that cannot be sent (e.g. a token with `…` or spaces) is a 400 naming the field; ' +
      'a token the provider refuses is a 422; nothing is stored in either case. ' +
      'When `webhookSecret` is omitted one is generated and returned once as `webhookSecret`.',
  })
  @ApiBody({
    type: CreateInstanceDto,
    examples: CREATE_INSTANCE_EXAMPLES,
  })
  @ApiCreatedResponse({ type: CreatedInstanceDto, description: 'The instance (secrets masked)' })
  @ApiProblemResponses(
    [400, 'Validation failed, including `config` (e.g. `config.accessToken`); `errors` names each field'],
    [
      409,
      'This bot or account is already connected to another instance, or `slug` is taken in this provider (`slug_taken`)',
    ],
    [422, 'The provider rejected the credentials; `providerCode` and `providerDescription` are its own'],
    502,
  )
  create(@CurrentUser() principal: Principal, @Body() dto: CreateInstanceDto) {
    return this.instances.create(principal, dto);
  }

  @Get()
  @ApiOperation({ summary: "The caller's instances (admins: all), newest first" })
  @ApiOkResponse({ type: InstanceListDto })
  @ApiProblemResponses(400)
  list(@CurrentUser() principal: Principal, @Query() q: PageQuery) {
    return this.instances.list(principal, q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One instance with its webhook settings and masked provider config' })
  @ApiOkResponse({ type: InstanceDetailDto })
  @ApiProblemResponses(NOT_FOUND)
  get(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.instances.describe(principal, id);
  }

  @Put(':id')
  @ApiOperation({
    summary:
      'Update name, slug, description and webhook settings (flat or the seeds’ nested `webhookSettings`)',
  })
  @ApiOkResponse({ type: UpdatedInstanceDto })
  @ApiProblemResponses(400, NOT_FOUND, [
    409,
    '`slug` is taken by another instance of this provider (`slug_taken`)',
  ])
  update(@CurrentUser() principal: Principal, @Param('id') id: string, @Body() dto: UpdateInstanceDto) {
    return this.instances.update(principal, id, dto);
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Disconnect and delete the instance with its chats, messages, contacts and events',
  })
  @ApiOkResponse({ type: SuccessResponseDto })
  @ApiProblemResponses(NOT_FOUND)
  remove(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.instances.remove(principal, id);
  }

  @Get(':id/status')
  @ApiOperation({ summary: 'Connection status' })
  @ApiOkResponse({ type: InstanceStatusDto })
  @ApiProblemResponses(NOT_FOUND)
  status(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.instances.status(principal, id);
  }

  @Post(':id/reconnect')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reconnect (Telegram: setWebhook again, or resume polling)' })
  @ApiOkResponse({ type: ReconnectResultDto })
  @ApiProblemResponses(NOT_FOUND)
  reconnect(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.instances.reconnect(principal, id);
  }

  @Post(':id/logout')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop receiving and mark the instance disconnected' })
  @ApiOkResponse({ type: SuccessResponseDto })
  @ApiProblemResponses(NOT_FOUND, 502)
  logout(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.instances.logout(principal, id);
  }

  @Get(':id/qr')
  @ApiOperation({
    summary: 'QR code to link WhatsApp Web (other providers answer 422)',
    description:
      '`{status: "pending", qrCode, qrImage, attempt, expiresAt}` while a QR waits to be scanned (PNG with ' +
      '`?format=image` or `Accept: image/png`), `{message, status: "generating"}` while the socket connects, ' +
      '`{status: "pairing_code", pairingCode}` when linking by phone number.',
  })
  @ApiOkResponse({
    description: 'The QR (JSON), or the PNG with `?format=image`',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(QrCodeDto) } },
      'image/png': { schema: { type: 'string', format: 'binary' } },
    },
  })
  @ApiExtraModels(QrCodeDto)
  @ApiProblemResponses(
    400,
    NOT_FOUND,
    [
      409,
      'Linked and connected (`already_connected`), or stopped (`not_waiting_for_login`: POST …/reconnect)',
    ],
    [422, 'The provider has no QR login (`qr_not_supported`, names the provider)'],
  )
  async qr(
    @CurrentUser() principal: Principal,
    @Param('id') id: string,
    @Query() q: QrQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const out = await renderQr(await this.instances.qr(principal, id), { format: q.format, accept });
    if ('png' in out) {
      res.type('image/png');
      return new StreamableFile(out.png);
    }
    return out.json;
  }

  @Get(':id/capabilities')
  @ApiOperation({ summary: 'What the provider supports: message types, limits, receipts' })
  @ApiOkResponse({ type: ProviderCapabilitiesDto })
  @ApiProblemResponses(NOT_FOUND)
  capabilities(@CurrentUser() principal: Principal, @Param('id') id: string) {
    return this.instances.capabilities(principal, id);
  }

  @Get(':id/activity')
  @ApiOperation({ summary: 'Activity log (limit, skip, actions, startDate, endDate)' })
  @ApiOkResponse({ type: ActivityListDto })
  @ApiProblemResponses(400, NOT_FOUND)
  async activity(@CurrentUser() principal: Principal, @Param('id') id: string, @Query() q: ActivityQuery) {
    return this.instances.activityLog(await this.instances.get(principal, id), q);
  }
}
