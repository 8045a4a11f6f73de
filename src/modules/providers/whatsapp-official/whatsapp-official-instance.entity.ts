import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * WhatsApp Cloud API config, 1:1 with `instances` (seeds/multi-provider-system.md). Secrets are
 * SecretBox ciphertext; `phone_number_id` is unique because inbound webhooks are routed by it.
 */
@Entity('whatsapp_official_instances')
export class WhatsappOfficialInstanceEntity {
  @PrimaryColumn('uuid') instanceId: string;
  /** Business phone number id (`metadata.phone_number_id` of webhooks). */
  @Column({ type: 'text' }) phoneNumberId: string;
  /** WhatsApp Business Account id (`entry[].id` of webhooks). */
  @Column({ type: 'text', nullable: true }) wabaId: string | null;
  @Column({ type: 'text', nullable: true }) displayPhoneNumber: string | null;
  @Column({ type: 'text', nullable: true }) verifiedName: string | null;
  @Column({ type: 'text' }) accessTokenEnc: string;
  @Column({ type: 'text' }) appSecretEnc: string;
  @Column({ type: 'text' }) webhookVerifyTokenEnc: string;
  /** sha256 of the verify token: the shared GET /webhooks/whatsapp handshake looks instances up by it. */
  @Column({ type: 'text' }) webhookVerifyTokenHash: string;
  /** Pinned Graph version (e.g. `v23.0`); null → GRAPH_API_VERSION. */
  @Column({ type: 'text', nullable: true }) version: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
