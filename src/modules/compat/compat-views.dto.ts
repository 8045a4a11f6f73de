import { ApiProperty } from '@nestjs/swagger';
import { PaginationDto } from '../../common/pagination/pagination.dto';
import { PROVIDER_KEYS } from '../providers/providers.module';

/** The seeds' send answer `{id}`. */
export class SeedSendResultDto {
  /** The provider's message id. */
  id: string | null;
  /** Our message id. */
  messageId: string;
}

/** One contact in the seeds' short form. */
export class SeedContactDto {
  /** The provider's contact id. */
  id: string;
  name: string | null;
  number: string;
  isGroup: boolean;
}

/** `GET /api/whatsapp/{instanceId}/contacts`. */
export class SeedContactListDto {
  contacts: SeedContactDto[];
}

/** The contact added to the address book. */
export class SeedAddedContactDto {
  id: string;
  number: string;
  name: string;
}

/** `POST …/contacts/add` (the seeds' shape; WhatsApp Web only, no provider of this release). */
export class SeedAddContactResultDto {
  success: boolean;
  message: string;
  contact: SeedAddedContactDto;
}

/** `POST …/contacts/import` (the seeds' shape; WhatsApp Web only, no provider of this release). */
export class SeedImportContactsResultDto {
  success: boolean;
  message: string;
  importedCount: number;
}

/** `POST /api/v1/multi-provider/instances`. */
export class MultiProviderCreatedDto {
  instanceId: string;
  @ApiProperty({ example: PROVIDER_KEYS[0] }) provider: string;
  @ApiProperty({ enum: ['created'] }) status: string;
}

export class MultiProviderInstanceDto {
  instanceId: string;
  provider: string;
  name: string;
  @ApiProperty({ enum: ['connecting', 'connected', 'disconnected', 'needs_reauth', 'error'] }) status: string;
}

/** `GET /api/v1/multi-provider/instances`. */
export class MultiProviderInstanceListDto {
  instances: MultiProviderInstanceDto[];
  pagination: PaginationDto;
}

/** `POST …/send-message`. */
export class MultiProviderSendResultDto {
  success: boolean;
  /** Our message id. */
  messageId: string;
  /** The provider's message id. */
  providerMessageId: string | null;
}

export class ProviderInstancesDto {
  count: number;
  /** Instance ids, oldest first. */
  instances: string[];
}

/** `GET /api/v1/multi-provider/stats`. */
export class MultiProviderStatsDto {
  /** Per provider display name (`Telegram`, `WhatsApp Official`, …). */
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/ProviderInstancesDto' },
    example: { Telegram: { count: 1, instances: ['4f7c2a4e-0000-4000-8000-000000000001'] } },
  })
  stats: Record<string, ProviderInstancesDto>;
  /** ISO 8601. */
  timestamp: string;
}

/** `GET /api/v1/multi-provider/active-providers`. */
export class ActiveProvidersDto {
  @ApiProperty({ example: PROVIDER_KEYS })
  providers: string[];
  count: number;
}
