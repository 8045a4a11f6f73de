import { ApiProperty } from '@nestjs/swagger';
import { PaginationDto } from '../../common/pagination/pagination.dto';
import { ActivityLogEntity } from './activity-log.entity';
import { InstanceLimitsDto } from './instances.dto';
import { PROVIDER_KEYS } from '../providers/providers.module';

const STATUSES = ['connecting', 'connected', 'waiting_for_qr', 'disconnected', 'needs_reauth', 'error'];

/** `{ready, status, hasQr}` (the seeds' connection status). */
export class ConnectionStatusDto {
  /** True while `status` is `connected`. */
  ready: boolean;
  @ApiProperty({ enum: STATUSES }) status: string;
  /** A QR code waits to be scanned (WhatsApp Web only). */
  hasQr: boolean;
}

/** The webhook settings as stored; the secret masked. */
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
  /** The signing secret, masked (`whsec••••abcd`). */
  secret: string | null;
  /** After a rotation: until when the previous secret signs too. */
  previousSecretExpiresAt: Date | null;
  /** Extra headers sent with every delivery. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  headers: Record<string, string>;
}

/** An instance as the API shows it (the seeds' shape); secrets masked. */
export class InstanceDto {
  id: string;
  name: string;
  /** The `<name>` token of the instance's NATS subjects (`^[a-z0-9_-]{1,64}$`, unique per provider). @example support_bot */
  slug: string;
  description: string | null;
  @ApiProperty({ example: PROVIDER_KEYS[0] }) provider: string;
  /** The owner. */
  userId: string;
  @ApiProperty({ enum: STATUSES }) status: string;
  /** Why the instance is not connected, e.g. the provider's refusal. */
  statusReason: string | null;
  webhookUrl: string | null;
  webhookEnabled: boolean;
  /** Set when the gateway turned the webhook off: `gone_410` or `endpoint_failing`. */
  webhookDisabledReason: string | null;
  webhookDisabledAt: Date | null;
  /** Last inbound or outbound activity. */
  lastActivity: Date | null;
  createdAt: Date;
  updatedAt: Date;
  webhookSettings: WebhookSettingsViewDto;
  connectionStatus: ConnectionStatusDto;
  /** Daily usage limits; `{}` when none. */
  limits: InstanceLimitsDto;
}

/** `POST /api/instances`. */
export class CreatedInstanceDto extends InstanceDto {
  /** The generated signing secret (`whsec_…`), only when none was given; shown once. */
  webhookSecret?: string;
}

/** `GET /api/instances/{id}`: with the provider config, secrets masked. */
export class InstanceDetailDto extends InstanceDto {
  /**
   * Provider config with secrets masked: Telegram `{botId, botUsername, botToken, mode, webhookUrl}`;
   * Meta providers their ids, masked tokens and the callback URL.
   */
  @ApiProperty({ type: 'object', additionalProperties: true }) config: Record<string, unknown>;
}

/** Offered after re-enabling a webhook the gateway had disabled. */
export class ReplayOfferDto {
  /** ISO 8601: the start of the failures or the disabling. */
  since: string;
  /** @example POST /api/instances/4f7c…/webhook-deliveries/replay */
  endpoint: string;
}

/** `PUT /api/instances/{id}`. */
export class UpdatedInstanceDto extends InstanceDto {
  /** Only when a webhook the gateway had disabled was re-enabled: what to replay. */
  replay?: ReplayOfferDto;
}

/** `GET /api/instances`. */
export class InstanceListDto {
  instances: InstanceDto[];
  pagination: PaginationDto;
}

/** `GET /api/instances/{id}/status`. */
export class InstanceStatusDto {
  instanceId: string;
  ready: boolean;
  @ApiProperty({ enum: STATUSES }) status: string;
  hasQr: boolean;
  reason: string | null;
  lastActivity: Date | null;
  connectionDetails: ConnectionStatusDto;
}

/** `POST /api/instances/{id}/reconnect`. */
export class ReconnectResultDto {
  /** True when the instance is connected again. */
  success: boolean;
  message: string;
  @ApiProperty({ enum: STATUSES }) status: string;
  reason: string | null;
}

/**
 * `GET /api/instances/{id}/qr` (the seeds' shapes; WhatsApp Web only): `{qrCode}` while a QR
 * waits to be scanned, `{message, status: "generating"}` while the socket is connecting.
 */
export class QrCodeDto {
  @ApiProperty({ enum: ['pending', 'generating', 'pairing_code'] })
  status: string;
  /** The QR payload to render (opaque; WhatsApp's `https://wa.me/settings/linked_devices#…`). */
  qrCode?: string;
  /** The same QR as a PNG data URL (`data:image/png;base64,…`). */
  qrImage?: string;
  /** Which QR of this socket (WhatsApp shows about 6: 60 s, then 20 s each). */
  attempt?: number;
  /** When this QR stops working. */
  expiresAt?: Date;
  /** Linking by phone number: the code to type on the phone (`ABCD-EFGH`). */
  pairingCode?: string;
  /** `generating`: try again in a few seconds. */
  message?: string;
}

/** `GET /api/instances/{id}/activity`. */
export class ActivityListDto {
  logs: ActivityLogEntity[];
  pagination: PaginationDto;
}
