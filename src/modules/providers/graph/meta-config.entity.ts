import { Column, CreateDateColumn, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * Columns every Meta config table has (1:1 with `instances`; secrets are SecretBox ciphertext):
 * the base of the WhatsApp Cloud, Messenger and Instagram config entities (MetaConfigRow).
 */
export abstract class MetaConfigEntity {
  @PrimaryColumn('uuid') instanceId: string;
  /** The Meta (or Instagram) app secret: checks `X-Hub-Signature-256` of inbound webhooks. */
  @Column({ type: 'text' }) appSecretEnc: string;
  @Column({ type: 'text' }) webhookVerifyTokenEnc: string;
  /** sha256 of the verify token: the shared-URL GET handshake finds the instance by it. */
  @Column({ type: 'text' }) webhookVerifyTokenHash: string;
  /** Pinned Graph version (e.g. `v23.0`); null → GRAPH_API_VERSION. */
  @Column({ type: 'text', nullable: true }) version: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
