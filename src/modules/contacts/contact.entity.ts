import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('contacts')
export class ContactEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'uuid' }) instanceId: string;
  /** The provider's id of the user/group (Telegram user or chat id as a string). */
  @Column({ type: 'text' }) providerContactId: string;
  @Column({ type: 'text', nullable: true }) name: string | null;
  @Column({ type: 'text', nullable: true }) pushName: string | null;
  @Column({ type: 'text', nullable: true }) username: string | null;
  @Column({ type: 'text', nullable: true }) phone: string | null;
  @Column({ type: 'boolean', default: false }) isGroup: boolean;
  @Column({ type: 'text', nullable: true }) profilePicture: string | null;
  @Column({ type: 'text', nullable: true }) about: string | null;
  @Column({ type: 'timestamptz', nullable: true }) lastActivityAt: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
