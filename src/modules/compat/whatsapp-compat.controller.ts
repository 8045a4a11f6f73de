import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiConsumes,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { SendRoute } from '../../common/throttling/rate-limit-routes';
import { ContactsQuery, SaveContactDto } from '../contacts/contacts.dto';
import { SeedAddContactDto, SeedSendDto, SeedSendMediaDto } from './compat.dto';
import { CompatService } from './compat.service';

/**
 * multi-instance-api.md § WhatsApp API and § Контакты, for an instance of any provider
 * (`phone` is the recipient: Telegram chat id). Aliases onto the canonical services.
 */
@ApiTags('compatibility')
@ApiAuth()
@ApiNotFoundResponse({ description: 'No such instance of the caller (problem+json)' })
@Controller('api/whatsapp/:instanceId')
export class WhatsappCompatController {
  constructor(private readonly compat: CompatService) {}

  @Get('status')
  @ApiOperation({ summary: 'Seeds: connection status `{ready, status, hasQr}`' })
  status(@CurrentUser() p: Principal, @Param('instanceId') id: string) {
    return this.compat.status(p, id);
  }

  @Get('qr')
  @ApiOperation({ summary: 'Seeds: QR code (WhatsApp Web only; others 422 `qr_not_supported`)' })
  @ApiUnprocessableEntityResponse({ description: 'The provider has no QR login' })
  qr(@CurrentUser() p: Principal, @Param('instanceId') id: string) {
    return this.compat.qr(p, id);
  }

  @Post('send')
  @HttpCode(200)
  @SendRoute()
  @ApiOperation({
    summary: 'Seeds: send text `{phone, message}` → `{id}` (= POST /api/instances/:id/messages)',
  })
  @ApiOkResponse({ description: '`{id}`: the provider message id (plus our `messageId`)' })
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
  @ApiUnprocessableEntityResponse({ description: '`media_upload_unsupported` naming the provider' })
  sendFile(@CurrentUser() p: Principal, @Param('instanceId') id: string) {
    return this.compat.sendFile(p, id);
  }

  @Post('logout')
  @HttpCode(200)
  @ApiOperation({ summary: 'Seeds: log out `{success: true}`' })
  logout(@CurrentUser() p: Principal, @Param('instanceId') id: string) {
    return this.compat.logout(p, id);
  }

  @Get('contacts')
  @ApiOperation({ summary: 'Seeds: contacts `{contacts: [{id, name, number, isGroup}]}`' })
  contacts(@CurrentUser() p: Principal, @Param('instanceId') id: string, @Query() q: ContactsQuery) {
    return this.compat.contactsList(p, id, q);
  }

  @Post('contacts/add')
  @ApiOperation({ summary: 'Seeds: add to the address book (WhatsApp Web only; others 422)' })
  @ApiUnprocessableEntityResponse({ description: '`contacts_add_unsupported` naming the provider' })
  addContact(@CurrentUser() p: Principal, @Param('instanceId') id: string, @Body() dto: SeedAddContactDto) {
    return this.compat.addContact(p, id, dto);
  }

  @Get('contacts/db')
  @ApiOperation({ summary: 'Seeds: stored contacts with pagination (= GET /api/instances/:id/contacts/db)' })
  contactsDb(@CurrentUser() p: Principal, @Param('instanceId') id: string, @Query() q: ContactsQuery) {
    return this.compat.contactsDb(p, id, q);
  }

  @Post('contacts/import')
  @ApiOperation({ summary: 'Seeds: import the address book (WhatsApp Web only; others 422)' })
  @ApiUnprocessableEntityResponse({ description: '`contacts_import_unsupported` naming the provider' })
  importContacts(@CurrentUser() p: Principal, @Param('instanceId') id: string) {
    return this.compat.importContacts(p, id);
  }

  @Post('contacts/save')
  @ApiOperation({
    summary: 'Seeds: save or update a stored contact (= POST /api/instances/:id/contacts/save)',
  })
  saveContact(@CurrentUser() p: Principal, @Param('instanceId') id: string, @Body() dto: SaveContactDto) {
    return this.compat.saveContact(p, id, dto);
  }
}
