import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PaginationDto } from '../../common/pagination/pagination.dto';
import { InstanceLimitsDto } from './instances.dto';

const STATUSES = ['connecting', 'connected', 'disconnected', 'needs_reauth', 'error'];

/** The webhook settings of an instance as returned (the seeds' nested shape); the secret masked. */
export class WebhookSettingsViewDto {
  instanceId: string;
  notifyReceived: boolean;
  notifySent: boolean;
  notifyDelivery: boolean;
  notifyRead: boolean;
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Base of the exponential backoff, ms. */
  retryInterval: number;
  /** The signing secret, masked (`whsec…abcd`); null when none. */
  @ApiProperty({ type: String, nullable: true }) secret: string | null;
  /** After a rotation: until when the previous secret signs too. */
  @ApiProperty({ type: Date, nullable: true }) previousSecretExpiresAt: Date | null;
  /** Extra headers sent with every delivery. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) headers: Record<string, string>;
}

export class ConnectionStatusDto {
  ready: boolean;
  @ApiProperty({ enum: STATUSES }) status: string;
  hasQr: boolean;
}

/** An instance as the API shows it (secrets masked). */
export class InstanceViewDto {
  id: string;
  name: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  /** @example telegram */
  provider: string;
  userId: string;
  @ApiProperty({ enum: STATUSES }) status: string;
  /** Why it is not connected (e.g. `logout`, a provider error); null when connected. */
  @ApiProperty({ type: String, nullable: true }) statusReason: string | null;
  @ApiProperty({ type: String, nullable: true }) webhookUrl: string | null;
  webhookEnabled: boolean;
  /** Set when the gateway turned the webhook off: `gone_410` or `endpoint_failing`. */
  @ApiProperty({ type: String, nullable: true }) webhookDisabledReason: string | null;
  @ApiProperty({ type: Date, nullable: true }) webhookDisabledAt: Date | null;
  @ApiProperty({ type: Date, nullable: true }) lastActivity: Date | null;
  createdAt: Date;
  updatedAt: Date;
  @ApiProperty({ type: WebhookSettingsViewDto }) webhookSettings: WebhookSettingsViewDto;
  @ApiProperty({ type: ConnectionStatusDto }) connectionStatus: ConnectionStatusDto;
  @ApiProperty({ type: InstanceLimitsDto }) limits: InstanceLimitsDto;
}

/** `GET /api/instances/:id`: with the provider config, secrets masked. */
export class InstanceDetailDto extends InstanceViewDto {
  /**
   * The provider config with every secret masked, plus `accountName`: the name people see the
   * account by (Telegram `@bot_username`, the WhatsApp verified name, the Page name) or null.
   */
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { botUsername: 'support_bot', accountName: '@support_bot' },
  })
  config: Record<string, unknown>;
}

/** `POST /api/instances`. */
export class CreatedInstanceDto extends InstanceViewDto {
  /** The generated `whsec_…` secret when none was given: shown only in this response. */
  @ApiPropertyOptional() webhookSecret?: string;
}

export class ReplayOfferDto {
  /** ISO 8601: start of the failures or of the disabling. */
  since: string;
  /** The route that replays what was missed. */
  endpoint: string;
}

/** `PUT /api/instances/:id`. */
export class UpdatedInstanceDto extends InstanceViewDto {
  /** Only when the update re-enabled a webhook the gateway had disabled. */
  @ApiPropertyOptional({ type: ReplayOfferDto }) replay?: ReplayOfferDto;
}

export class InstanceListDto {
  @ApiProperty({ type: [InstanceViewDto] }) instances: InstanceViewDto[];
  @ApiProperty({ type: PaginationDto }) pagination: PaginationDto;
}

export class InstanceActionResultDto {
  success: boolean;
  message: string;
}

/** `POST /api/instances/:id/reconnect`. */
export class ReconnectResultDto extends InstanceActionResultDto {
  @ApiProperty({ enum: STATUSES }) status: string;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
}

/** One line of an instance's activity log. */
export class ActivityLogViewDto {
  id: string;
  instanceId: string;
  /** `created`, `connected`, `disconnected`, `webhook_updated`, `webhook_disabled`, … */
  action: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) details: Record<string, unknown>;
  createdAt: Date;
}

export class ActivityListDto {
  @ApiProperty({ type: [ActivityLogViewDto] }) logs: ActivityLogViewDto[];
  @ApiProperty({ type: PaginationDto }) pagination: PaginationDto;
}
