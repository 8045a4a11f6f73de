import { Controller, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuth, CurrentUser } from '../../common/auth/decorators';
import { ApiProblemResponses } from '../../common/openapi/problem-responses';
import { SeedImportContactsResultDto } from './compat-views.dto';
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
  @ApiCreatedResponse({
    type: SeedImportContactsResultDto,
    description: 'WhatsApp Web only: not in this release',
  })
  @ApiProblemResponses(
    [404, 'No such instance of the caller'],
    [422, '`contacts_import_unsupported` naming the provider'],
  )
  importContacts(@CurrentUser() p: Principal, @Param('id') id: string) {
    return this.compat.importContacts(p, id);
  }
}
