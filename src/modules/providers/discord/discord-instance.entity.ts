import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Discord-specific config, 1:1 with `instances` (issue 10; seeds/multi-provider-system.md). */
@Entity('discord_instances')
export class DiscordInstanceEntity {
  @PrimaryColumn('uuid') instanceId: string;
  /** SecretBox ciphertext of the bot token. */
  @Column({ type: 'text' }) botTokenEnc: string;
  /** sha256 of the token: one bot can back only one instance (one Gateway connection per bot). */
  @Column({ type: 'text' }) botTokenHash: string;
  /** The bot's user id (`GET /v10/users/@me`), used to skip our own messages. */
  @Column({ type: 'text' }) botUserId: string;
  @Column({ type: 'text', nullable: true }) botUsername: string | null;
  /** Application id from the Developer Portal (`config.clientId`). */
  @Column({ type: 'text' }) clientId: string;
  /** Gateway intents bitfield sent in IDENTIFY. */
  @Column({ type: 'int' }) intents: number;
  /** Hex Ed25519 public key of the application; null → the Interactions endpoint answers 401. */
  @Column({ type: 'text', nullable: true }) publicKey: string | null;
  /**
   * Why the Gateway connection is stopped (`logout`, a 4004 / 4014 close), null while it should run.
   * Cleared by reconnect; read by `connectionTargets` so a stopped bot is not reconnected in a loop.
   */
  @Column({ type: 'text', nullable: true }) gatewayStoppedReason: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
