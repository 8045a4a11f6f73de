import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Slack-specific config, 1:1 with `instances` (issue 10; migration 1765500000000-SlackInstances). */
@Entity('slack_instances')
export class SlackInstanceEntity {
  @PrimaryColumn('uuid') instanceId: string;
  /** SecretBox ciphertext of the bot token (`xoxb-…`). */
  @Column({ type: 'text' }) botTokenEnc: string;
  /** sha256 of the bot token: one bot token backs one instance. */
  @Column({ type: 'text' }) botTokenHash: string;
  /** SecretBox ciphertext of the app's Signing Secret (Events API requests); null in Socket Mode without one. */
  @Column({ type: 'text', nullable: true }) signingSecretEnc: string | null;
  /** SecretBox ciphertext of the app-level token (`xapp-…`, `connections:write`) for Socket Mode. */
  @Column({ type: 'text', nullable: true }) appTokenEnc: string | null;
  /** true: events arrive over Socket Mode (a worker holds the socket); false: Events API Request URL. */
  @Column({ type: 'boolean', default: false }) socketMode: boolean;
  /** auth.test facts: workspace and our bot user (own messages are skipped by these). */
  @Column({ type: 'text' }) teamId: string;
  @Column({ type: 'text', nullable: true }) teamName: string | null;
  @Column({ type: 'text', nullable: true }) teamUrl: string | null;
  @Column({ type: 'text' }) botUserId: string;
  @Column({ type: 'text', nullable: true }) botId: string | null;
  /** The bot user's handle (auth.test `user`). */
  @Column({ type: 'text', nullable: true }) botName: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
