import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type ChatType = 'private' | 'group' | 'channel';

@Entity('chats')
export class ChatEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'uuid' }) instanceId: string;
  @Column({ type: 'text' }) providerChatId: string;
  @Column({ type: 'uuid', nullable: true }) contactId: string | null;
  @Column({ type: 'text', default: 'private' }) type: ChatType;
  @Column({ type: 'text', nullable: true }) title: string | null;
  @Column({ type: 'timestamptz', nullable: true }) lastMessageAt: Date | null;
  /** When an operator last read the chat in Switchboard (dashboard inbox); unread = inbound after it. */
  @Column({ type: 'timestamptz', nullable: true }) lastReadAt: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
