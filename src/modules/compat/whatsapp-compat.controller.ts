import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  StreamableFile,
} from '@nestjs/common';
import type { Response } from 'express';
import {
  ApiConsumes,
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
import { SuccessOnlyDto } from '../../common/openapi/success-response.dto';
import { ContactDto, ContactListDto } from '../contacts/contact-view.dto';
import { ConnectionStatusDto, QrCodeDto } from '../instances/instance-views.dto';
import type { Principal } from '../../common/auth/principal';
import { SendRoute } from '../../common/throttling/rate-limit-routes';
import { ContactsQuery, SaveContactDto } from '../contacts/contacts.dto';
import { SeedAddContactDto, SeedSendDto, SeedSendMediaDto } from './compat.dto';
import { CompatService } from './compat.service';
import {
  SeedAddContactResultDto,
  SeedContactListDto,
  SeedImportContactsResultDto,
  SeedSendResultDto,
} from './compat-views.dto';

/** What a send can answer besides success (as POST /api/instances/{id}/messages). */
const SEND_FAILURES: (number | [number, string])[] = [
  [400, 'Validation failed, or the provider rejected the request (`provider_bad_request`)'],
  [
    422,
    'The provider does not support this type or size (names the provider), or the recipient blocked the bot',
  ],
  [
    429,
    'Provider rate limit (`provider_rate_limited`), our rate limit (`rate_limited`) or a daily instance limit (`limit_exceeded`); `Retry-After` in seconds',
  ],
  502,
];

/**
 * multi-instance-api.md § WhatsApp API and § Контакты, for an instance of any provider
 * (`phone` is the recipient: Telegram chat id). Aliases onto the canonical services.
 */
@ApiTags('compatibility')
@ApiAuth()
@ApiProblemResponses([404, 'No such instance of the caller'])
@Controller('api/whatsapp/:instanceId')
export class WhatsappCompatController {
  constructor(private readonly compat: CompatService) {}

  @Get('status')
  @ApiOperation({ summary: 'Seeds: connection status `{ready, status, hasQr}`' })
  @ApiOkResponse({ type: ConnectionStatusDto })
  status(@CurrentUser() p: Principal, @Param('instanceId') id: string) {
    return this.compat.status(p, id);
  }

  @Get('qr')
  @ApiOperation({
    summary: 'Seeds: QR code `{qrCode}` / `{message, status: "generating"}` (WhatsApp Web; others 422)',
    description: 'As GET /api/instances/{id}/qr; `?format=image` or `Accept: image/png` → the PNG.',
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
    [
      409,
      'Linked and connected (`already_connected`), or stopped (`not_waiting_for_login`: POST …/reconnect)',
    ],
    [422, 'The provider has no QR login (`qr_not_supported`, names the provider)'],
  )
  async qr(
    @CurrentUser() p: Principal,
    @Param('instanceId') id: string,
    @Query() q: QrQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const out = await renderQr(await this.compat.qr(p, id), { format: q.format, accept });
    if ('png' in out) {
      res.type('image/png');
      return new StreamableFile(out.png);
    }
    return out.json;
  }

  @Post('send')
  @HttpCode(200)
  @SendRoute()
  @ApiOperation({
    summary: 'Seeds: send text `{phone, message}` → `{id}` (= POST /api/instances/:id/messages)',
  })
  @ApiOkResponse({
    type: SeedSendResultDto,
    description: '`id`: the provider message id (plus our `messageId`)',
  })
  @ApiProblemResponses(...SEND_FAILURES)
  send(@CurrentUser() p: Principal, @Param('instanceId') id: string, @Body() dto: SeedSendDto) {
    return this.compat.sendText(p, id, dto);
  }

  @Post('send-media')
  @HttpCode(200)
  @SendRoute()
  @ApiOperation({
    summary: 'Seeds: send media by URL `{phone, url, caption, filename}` → `{id}`',
    description:
      'The type follows the extension of `filename` (or of the URL): image, video, audio, else document.',
  })
  @ApiOkResponse({ type: SeedSendResultDto })
  @ApiProblemResponses(...SEND_FAILURES)
  sendMedia(@CurrentUser() p: Principal, @Param('instanceId') id: string, @Body() dto: SeedSendMediaDto) {
    return this.compat.sendMedia(p, id, dto);
  }

  @Post('send-file')
  @SendRoute()
  @ApiConsumes('multipart/form-data')
  @ApiOperation({
    summary: 'Seeds: send an uploaded file (multipart `phone`, `caption`, `file`)',
    description:
      'Needs the provider’s upload capability; no provider of this release has it, so this answers 422.',
  })
  @ApiCreatedResponse({
    type: SeedSendResultDto,
    description: 'Not in this release: every provider answers 422',
  })
  @ApiProblemResponses([422, '`media_upload_unsupported` naming the provider'])
  sendFile(@CurrentUser() p: Principal, @Param('instanceId') id: string) {
    return this.compat.sendFile(p, id);
  }

  @Post('logout')
  @HttpCode(200)
  @ApiOperation({ summary: 'Seeds: log out `{success: true}`' })
  @ApiOkResponse({ type: SuccessOnlyDto })
  @ApiProblemResponses(502)
  logout(@CurrentUser() p: Principal, @Param('instanceId') id: string) {
    return this.compat.logout(p, id);
  }

  @Get('contacts')
  @ApiOperation({ summary: 'Seeds: contacts `{contacts: [{id, name, number, isGroup}]}`' })
  @ApiOkResponse({ type: SeedContactListDto })
  @ApiProblemResponses(400)
  contacts(@CurrentUser() p: Principal, @Param('instanceId') id: string, @Query() q: ContactsQuery) {
    return this.compat.contactsList(p, id, q);
  }

  @Post('contacts/add')
  @ApiOperation({ summary: 'Seeds: add to the address book (WhatsApp Web only; others 422)' })
  @ApiCreatedResponse({
    type: SeedAddContactResultDto,
    description: 'WhatsApp Web only: not in this release',
  })
  @ApiProblemResponses(400, [422, '`contacts_add_unsupported` naming the provider'])
  addContact(@CurrentUser() p: Principal, @Param('instanceId') id: string, @Body() dto: SeedAddContactDto) {
    return this.compat.addContact(p, id, dto);
  }

  @Get('contacts/db')
  @ApiOperation({ summary: 'Seeds: stored contacts with pagination (= GET /api/instances/:id/contacts/db)' })
  @ApiOkResponse({ type: ContactListDto })
  @ApiProblemResponses(400)
  contactsDb(@CurrentUser() p: Principal, @Param('instanceId') id: string, @Query() q: ContactsQuery) {
    return this.compat.contactsDb(p, id, q);
  }

  @Post('contacts/import')
  @ApiOperation({ summary: 'Seeds: import the address book (WhatsApp Web only; others 422)' })
  @ApiCreatedResponse({
    type: SeedImportContactsResultDto,
    description: 'WhatsApp Web only: not in this release',
  })
  @ApiProblemResponses([422, '`contacts_import_unsupported` naming the provider'])
  importContacts(@CurrentUser() p: Principal, @Param('instanceId') id: string) {
    return this.compat.importContacts(p, id);
  }

  @Post('contacts/save')
  @ApiOperation({
    summary: 'Seeds: save or update a stored contact (= POST /api/instances/:id/contacts/save)',
  })
  @ApiCreatedResponse({ type: ContactDto })
  @ApiProblemResponses(400)
  saveContact(@CurrentUser() p: Principal, @Param('instanceId') id: string, @Body() dto: SaveContactDto) {
    return this.compat.saveContact(p, id, dto);
  }
}
