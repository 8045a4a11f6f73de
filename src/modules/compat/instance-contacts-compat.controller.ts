import { Controller, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { CompatService } from './compat.service';

/** multi-instance-api.md § Контакты: the import route under /api/instances. */
@ApiTags('compatibility')
@ApiAuth()
@Controller('api/instances/:id/contacts')
export class InstanceContactsCompatController {
  constructor(private readonly compat: CompatService) {}

  @Post('import')
  @ApiOperation({ summary: 'Seeds: import the address book (WhatsApp Web only; others 422)' })
  @ApiUnprocessableEntityResponse({ description: '`contacts_import_unsupported` naming the provider' })
  importContacts(@CurrentUser() p: Principal, @Param('id') id: string) {
    return this.compat.importContacts(p, id);
  }
}
