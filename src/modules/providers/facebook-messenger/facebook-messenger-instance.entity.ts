import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * Messenger config, 1:1 with `instances` (seeds/multi-provider-system.md). Secrets are SecretBox
 * ciphertext; `page_id` is unique because inbound webhooks are routed by `entry.id`.
 */
@Entity('facebook_messenger_instances')
export class FacebookMessengerInstanceEntity {
  @PrimaryColumn('uuid') instanceId: string;
  @Column({ type: 'text' }) pageId: string;
  @Column({ type: 'text', nullable: true }) pageName: string | null;
  @Column({ type: 'text' }) pageAccessTokenEnc: string;
  @Column({ type: 'text' }) appSecretEnc: string;
  @Column({ type: 'text' }) webhookVerifyTokenEnc: string;
  /** sha256 of the verify token (shared GET /webhooks/messenger handshake). */
  @Column({ type: 'text' }) webhookVerifyTokenHash: string;
  /** Pinned Graph version; null → GRAPH_API_VERSION. */
  @Column({ type: 'text', nullable: true }) version: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
