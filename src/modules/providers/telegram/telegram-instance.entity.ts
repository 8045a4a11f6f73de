import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Telegram-specific config, 1:1 with `instances` (seeds/multi-provider-system.md). */
@Entity('telegram_instances')
export class TelegramInstanceEntity {
  @PrimaryColumn('uuid') instanceId: string;
  /** SecretBox ciphertext of the bot token. */
  @Column({ type: 'text' }) botTokenEnc: string;
  /** sha256 of the token: one bot can back only one instance. */
  @Column({ type: 'text' }) botTokenHash: string;
  @Column({ type: 'bigint' }) botId: string;
  @Column({ type: 'text', nullable: true }) botUsername: string | null;
  /** `webhook` when PUBLIC_BASE_URL was set at creation, else `polling`. */
  @Column({ type: 'text' }) mode: 'webhook' | 'polling';
  /** SecretBox ciphertext of the `secret_token` given to setWebhook. */
  @Column({ type: 'text' }) webhookSecretTokenEnc: string;
  /** Next getUpdates offset (last update_id + 1). */
  @Column({ type: 'bigint', default: 0 }) updateOffset: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
