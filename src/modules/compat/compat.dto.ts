import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsOptional, IsString, IsUrl, MaxLength, MinLength } from 'class-validator';
import { PROVIDER_KEYS } from '../providers/providers.module';

/** The seeds' `POST /api/whatsapp/:instanceId/send`. `phone` is the recipient (Telegram: chat id). */
export class SeedSendDto {
  /** @example 79001234567 */
  @IsString() @IsNotEmpty() @MaxLength(200) phone: string;
  /** @example Hello! */
  @IsString() @IsNotEmpty() @MaxLength(65536) message: string;
}

/** The seeds' `send-media`: media by URL; the type comes from `filename` (or the URL) extension. */
export class SeedSendMediaDto {
  @IsString() @IsNotEmpty() @MaxLength(200) phone: string;
  /** @example https://example.com/image.jpg */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }) url: string;
  @IsOptional() @IsString() @MaxLength(4096) caption?: string;
  /** @example image.jpg */
  @IsOptional() @IsString() @MaxLength(255) filename?: string;
}

/** The seeds' `contacts/add`. */
export class SeedAddContactDto {
  @IsString() @IsNotEmpty() @MaxLength(200) phone: string;
  @IsOptional() @IsString() @MaxLength(200) name?: string;
}

/** The system document's `POST /api/v1/multi-provider/instances`. */
export class MultiProviderCreateDto {
  @ApiProperty({ example: PROVIDER_KEYS[0] })
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  provider: string;
  /** Provider credentials, as for POST /api/instances. */
  @ApiProperty({ type: 'object', additionalProperties: true, example: { botToken: '123456789:ABC…' } })
  @IsObject()
  config: Record<string, unknown>;
  /** Defaults to `<provider> instance`. */
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200) name?: string;
}

/** The system document's `send-message`. `to` is the provider's chat / user id. */
export class MultiProviderSendDto {
  @IsString() @IsNotEmpty() @MaxLength(200) to: string;
  @IsString() @IsNotEmpty() @MaxLength(65536) message: string;
}
