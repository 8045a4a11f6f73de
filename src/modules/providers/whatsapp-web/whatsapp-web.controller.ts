import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ApiAuth, CurrentUser } from '../../../common/auth/decorators';
import type { Principal } from '../../../common/auth/principal';
import { UnprocessableError } from '../../../common/errors/app-error';
import { ApiProblemResponses } from '../../../common/openapi/problem-responses';
import { findOwnedInstance } from '../../instances/instance-access';
import { InstanceEntity } from '../../instances-core/instance.entity';
import { ProviderRegistry } from '../provider-registry';
import { ImportContactsResultDto, PairingCodeDto, PairingCodeResultDto } from './whatsapp-web.dto';

const NOT_FOUND: [number, string] = [404, 'No such instance of the caller'];

/** WhatsApp Web routes that exist for no other provider (issue 14; seeds/multi-instance-api.md). */
@ApiTags('instances')
@ApiAuth()
@Controller('api/instances/:id')
export class WhatsAppWebController {
  constructor(
    @InjectRepository(InstanceEntity) private readonly instances: Repository<InstanceEntity>,
    private readonly providers: ProviderRegistry,
  ) {}

  @Post('pairing-code')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Link WhatsApp Web by phone number: a pairing code instead of the QR',
    description:
      'While the instance waits for a QR scan. On the phone: WhatsApp → Linked devices → Link a device → ' +
      '"Link with phone number instead", then type the code.',
  })
  @ApiOkResponse({ type: PairingCodeResultDto })
  @ApiProblemResponses(
    400,
    NOT_FOUND,
    [409, 'Already linked, or no socket waiting for a scan (`not_waiting_for_login`: POST …/reconnect)'],
    [422, 'The provider has no QR login (`qr_not_supported`)'],
    502,
    503,
  )
  async pairingCode(@CurrentUser() p: Principal, @Param('id') id: string, @Body() dto: PairingCodeDto) {
    const instance = await findOwnedInstance(this.instances, p, id);
    const adapter = this.providers.get(instance.provider);
    if (!adapter.pairingCode) throw qrNotSupported(instance.provider);
    return { code: await adapter.pairingCode(instance, dto.phoneNumber.replace(/^\+/, '')) };
  }

  @Post('contacts/import')
  @ApiOperation({ summary: "Seeds: import the account's WhatsApp contacts into the contacts (WhatsApp Web)" })
  @ApiCreatedResponse({ type: ImportContactsResultDto })
  @ApiProblemResponses(NOT_FOUND, [422, '`contacts_import_unsupported` naming the provider'])
  async importContacts(@CurrentUser() p: Principal, @Param('id') id: string) {
    const instance = await findOwnedInstance(this.instances, p, id);
    const adapter = this.providers.get(instance.provider);
    if (!adapter.importAccountContacts) {
      throw new UnprocessableError(
        'contacts_import_unsupported',
        `${instance.provider} instances cannot list the account's contacts; contacts are stored as they message the instance (contacts/db)`,
        { provider: instance.provider },
      );
    }
    const importedCount = await adapter.importAccountContacts(instance);
    return { success: true, message: `Successfully imported ${importedCount} contacts`, importedCount };
  }
}

function qrNotSupported(provider: string) {
  return new UnprocessableError(
    'qr_not_supported',
    `${provider} instances have no QR login: QR codes exist only for WhatsApp Web instances`,
    { provider },
  );
}
