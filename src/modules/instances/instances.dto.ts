import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { PageQuery } from '../../common/pagination/pagination';
import { csv, StorableDate } from '../../common/validation/transforms';
import { PROVIDER_KEYS } from '../providers/providers.module';

const URL_OPTS = { require_tld: false, protocols: ['http', 'https'], require_protocol: true };

/** Webhook settings in the seeds' nested `webhookSettings` form (PUT). */
export class WebhookSettingsDto {
  @IsOptional() @IsBoolean() notifyReceived?: boolean;
  @IsOptional() @IsBoolean() notifySent?: boolean;
  @IsOptional() @IsBoolean() notifyDelivery?: boolean;
  @IsOptional() @IsBoolean() notifyRead?: boolean;
  /** Retries after the first attempt (0–20). */
  @IsOptional() @IsInt() @Min(0) @Max(20) maxRetries?: number;
  /** Base of the exponential backoff, ms (100 ms – 24 h). */
  @IsOptional() @IsInt() @Min(100) @Max(86_400_000) retryInterval?: number;
  /** Signing secret; `whsec_<base64>` or any string of ≥ 16 chars. */
  @IsOptional() @IsString() @MinLength(16) @MaxLength(200) secret?: string;
  /** Extra headers sent with every delivery. @example {"Custom-Header":"custom-value"} */
  @IsOptional() @IsObject() headers?: Record<string, string>;
}

/**
 * Per-instance daily usage limits (UTC day; seeds: `limit_exceeded`). Reaching one refuses
 * further requests of that kind with 429 `limit_exceeded` until the next UTC day. An omitted
 * field is no limit; on PUT the object replaces the previous limits (`{}` removes them all).
 */
export class InstanceLimitsDto {
  /** Messages sent per day. @example 1000 */
  @IsOptional() @IsInt() @Min(0) maxMessagesSent?: number;
  /** Media messages sent per day. @example 100 */
  @IsOptional() @IsInt() @Min(0) maxMediaSent?: number;
  /** Authenticated API requests touching the instance per day. @example 5000 */
  @IsOptional() @IsInt() @Min(0) maxApiCalls?: number;
}

class WebhookFieldsDto {
  /** Where events are POSTed. @example https://example.com/webhook */
  @IsOptional() @IsUrl(URL_OPTS) @MaxLength(2000) webhookUrl?: string;
  @IsOptional() @IsBoolean() webhookEnabled?: boolean;
  @IsOptional() @IsBoolean() notifyReceived?: boolean;
  @IsOptional() @IsBoolean() notifySent?: boolean;
  @IsOptional() @IsBoolean() notifyDelivery?: boolean;
  @IsOptional() @IsBoolean() notifyRead?: boolean;
  /** Retries after the first attempt (0–20). @example 3 */
  @IsOptional() @IsInt() @Min(0) @Max(20) maxRetries?: number;
  /** Base of the exponential backoff, ms. @example 60000 */
  @IsOptional() @IsInt() @Min(100) @Max(86_400_000) retryInterval?: number;
  /** Signing secret; generated (`whsec_…`) and returned once when omitted. */
  @IsOptional() @IsString() @MinLength(16) @MaxLength(200) webhookSecret?: string;
  /** Extra headers sent with every delivery. @example {"Custom-Header":"custom-value"} */
  @IsOptional() @IsObject() headers?: Record<string, string>;
  /** Daily usage limits; on PUT the whole object replaces the previous limits. */
  @IsOptional() @ValidateNested() @Type(() => InstanceLimitsDto) limits?: InstanceLimitsDto;
}

export class CreateInstanceDto extends WebhookFieldsDto {
  /** Provider key (others answer 400 naming the supported ones). */
  @ApiProperty({
    enum: PROVIDER_KEYS,
    example: PROVIDER_KEYS[0],
  })
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  provider: string;
  /** @example Support bot */
  @IsString() @MinLength(1) @MaxLength(200) name: string;
  /**
   * The `<name>` token of the instance's NATS subjects (`<provider>.<slug>.in.message`), unique per
   * provider; default: derived from `name` (lower-cased, other characters → `_`). @example support_bot
   */
  @IsOptional()
  @Matches(/^[a-z0-9_-]{1,64}$/, { message: 'slug must match ^[a-z0-9_-]{1,64}$' })
  slug?: string;
  @IsOptional() @IsString() @MaxLength(2000) description?: string;
  /**
   * Provider credentials (secrets are never returned). Telegram `{botToken}`; WhatsApp Cloud
   * `{phoneNumberId, accessToken, appSecret, webhookVerifyToken, version?, wabaId?}`; Messenger
   * `{pageId, pageAccessToken, appSecret, webhookVerifyToken, version?}`; Instagram `{igId,
   * accessToken, appSecret, metaAppSecret?, webhookVerifyToken, login?, pageId?, version?}`; Discord
   * `{botToken, clientId, intents?: [1, 512, 32768] | 33281, publicKey?}`.
   */
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { botToken: '123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZ' },
  })
  @IsObject()
  config: Record<string, unknown>;
}

export class UpdateInstanceDto extends WebhookFieldsDto {
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200) name?: string;
  /**
   * The `<name>` token of the instance's NATS subjects (`<provider>.<slug>.in.message`), unique per
   * provider; changing it changes the subjects. @example support_bot
   */
  @IsOptional()
  @Matches(/^[a-z0-9_-]{1,64}$/, { message: 'slug must match ^[a-z0-9_-]{1,64}$' })
  slug?: string;
  @IsOptional() @IsString() @MaxLength(2000) description?: string;
  /** The seeds' nested form; its fields win over the flat ones. */
  @IsOptional() @ValidateNested() @Type(() => WebhookSettingsDto) webhookSettings?: WebhookSettingsDto;
}

export class ActivityQuery extends PageQuery {
  /** Comma-separated actions, e.g. `connected,disconnected`. */
  @ApiPropertyOptional({ type: String, example: 'connected,disconnected' })
  @IsOptional()
  @Transform(csv)
  @IsString({ each: true })
  actions?: string[];
  @IsOptional() @StorableDate() startDate?: Date;
  @IsOptional() @StorableDate() endDate?: Date;
}
