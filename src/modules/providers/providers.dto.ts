import { ApiProperty } from '@nestjs/swagger';
import { OUTBOUND_TYPES } from './normalized';

/** What a provider supports (`GET /api/instances/:id/capabilities`, `GET /api/providers`). */
export class ProviderCapabilitiesDto {
  /** Provider key. @example telegram */
  provider: string;
  /** Outbound message types. @example ["text","image","document"] */
  @ApiProperty({ enum: OUTBOUND_TYPES, isArray: true }) types: string[];
  /** Characters. */
  textMaxLength: number;
  /** Characters (0: no captions). */
  captionMaxLength: number;
  /** Media can be sent by public URL. */
  mediaByUrl: boolean;
  /** Media can be sent by the provider's media id. */
  mediaByProviderId: boolean;
  /** Files can be uploaded (`POST …/messages/upload`). */
  mediaUpload: boolean;
  reactions: boolean;
  /** Read receipts: `message_status` read, and `POST …/messages/:messageId/read`. */
  readReceipts: boolean;
  /** Delivery receipts: `message_status` delivered. */
  deliveryReceipts: boolean;
  maxContactsPerMessage: number;
  /** The instance links by scanning a QR code (`GET …/qr`). */
  qrLogin: boolean;
  /** How inbound messages arrive. */
  @ApiProperty({ enum: ['webhook', 'polling', 'gateway'], isArray: true }) inbound: (
    'webhook' | 'polling' | 'gateway'
  )[];
}

/** One provider an instance can be created for. */
export class ProviderDescriptionDto {
  /** The `provider` value of `POST /api/instances`. @example telegram */
  provider: string;
  @ApiProperty({ type: ProviderCapabilitiesDto }) capabilities: ProviderCapabilitiesDto;
  /**
   * JSON Schema (OpenAPI 3 dialect) of the `config` object of `POST /api/instances` for this
   * provider: `properties` (type, `pattern`, `enum`, `maxLength`), `required`, and secrets marked
   * `writeOnly: true, format: password` (never returned by the API).
   */
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: {
      type: 'object',
      properties: {
        botToken: { type: 'string', pattern: '^\\d+:[A-Za-z0-9_-]+$', writeOnly: true, format: 'password' },
      },
      required: ['botToken'],
    },
  })
  configSchema: Record<string, unknown>;
}

export class ProviderListDto {
  @ApiProperty({ type: [ProviderDescriptionDto] }) providers: ProviderDescriptionDto[];
}
