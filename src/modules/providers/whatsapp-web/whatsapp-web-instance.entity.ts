import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** WhatsApp Web config and login state, 1:1 with `instances` (issue 14). */
@Entity('whatsapp_web_instances')
export class WhatsAppWebInstanceEntity {
  @PrimaryColumn('uuid') instanceId: string;
  /** Digits with country code: link by pairing code instead of QR. */
  @Column({ type: 'text', nullable: true }) pairingPhone: string | null;
  /** The linked account: phone JID, LID and push name (null until linked). */
  @Column({ type: 'text', nullable: true }) meJid: string | null;
  @Column({ type: 'text', nullable: true }) meLid: string | null;
  @Column({ type: 'text', nullable: true }) meName: string | null;
  /** SecretBox ciphertext of the pending QR (it carries the companion's keys); null when none. */
  @Column({ type: 'text', nullable: true }) qrCodeEnc: string | null;
  /** QR codes shown since the socket started (1-based; 0 = none yet). */
  @Column({ type: 'int', default: 0 }) qrAttempt: number;
  @Column({ type: 'timestamptz', nullable: true }) qrExpiresAt: Date | null;
  /** The pending pairing code (`ABCD-EFGH`), null when none. */
  @Column({ type: 'text', nullable: true }) pairingCode: string | null;
  @Column({ type: 'timestamptz', nullable: true }) linkedAt: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
