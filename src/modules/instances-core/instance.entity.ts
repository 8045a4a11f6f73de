import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * `connecting`, `connected` and `waiting_for_qr` (WhatsApp Web login) want a long-lived connection;
 * `disconnected`, `needs_reauth` and `error` wait for the user (reconnect, new credentials).
 */
export type InstanceStatus =
  'connecting' | 'connected' | 'waiting_for_qr' | 'disconnected' | 'needs_reauth' | 'error';

/** A connected bot or account on one provider, owned by one user (DESIGN.md §3). */
@Entity('instances')
export class InstanceEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'uuid' }) userId: string;
  /** Provider key: `telegram`, `whatsapp-official`, `facebook-messenger`, `instagram`, `slack`, `discord`. */
  @Column({ type: 'text' }) provider: string;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'text', nullable: true }) description: string | null;
  @Column({ type: 'text', default: 'connecting' }) status: InstanceStatus;
  @Column({ type: 'text', nullable: true }) statusReason: string | null;
  @Column({ type: 'timestamptz', nullable: true }) lastActivityAt: Date | null;
  @Column({ type: 'text', nullable: true }) webhookUrl: string | null;
  @Column({ type: 'boolean', default: false }) webhookEnabled: boolean;
  @Column({ type: 'boolean', default: true }) notifyReceived: boolean;
  @Column({ type: 'boolean', default: true }) notifySent: boolean;
  @Column({ type: 'boolean', default: false }) notifyDelivery: boolean;
  @Column({ type: 'boolean', default: false }) notifyRead: boolean;
  /** Retries after the first attempt. */
  @Column({ type: 'int', default: 3 }) maxRetries: number;
  /** Base of the exponential backoff, ms. */
  @Column({ type: 'int', default: 60000 }) retryIntervalMs: number;
  /** SecretBox ciphertext of the webhook signing secret. */
  @Column({ type: 'text', nullable: true }) webhookSecretEnc: string | null;
  /** Why the gateway turned the webhook off (`gone_410`, `endpoint_failing`); null when enabled or turned off by the user. */
  @Column({ type: 'text', nullable: true }) webhookDisabledReason: string | null;
  @Column({ type: 'timestamptz', nullable: true }) webhookDisabledAt: Date | null;
  /** Start of the current run of failed attempts (endpoint health); null after any success. */
  @Column({ type: 'timestamptz', nullable: true }) webhookFailingSince: Date | null;
  /** SecretBox ciphertext of the secret replaced by the last rotation; signs too until it expires. */
  @Column({ type: 'text', nullable: true }) webhookPreviousSecretEnc: string | null;
  @Column({ type: 'timestamptz', nullable: true }) webhookPreviousSecretExpiresAt: Date | null;
  @Column({ type: 'jsonb', default: {} }) webhookHeaders: Record<string, string>;
  @Column({ type: 'jsonb', default: {} }) limits: Record<string, unknown>;
  @Column({ type: 'jsonb', default: {} }) metadata: Record<string, unknown>;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
