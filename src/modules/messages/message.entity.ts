import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type MessageDirection = 'in' | 'out';
export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'played' | 'failed' | 'received';

/** One message in or out (DESIGN.md §3, §5). `raw` keeps the provider's payload. */
@Entity('messages')
export class MessageEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'uuid' }) instanceId: string;
  @Column({ type: 'uuid' }) chatId: string;
  @Column({ type: 'text' }) direction: MessageDirection;
  /** Provider's message id; Telegram: `<chat_id>:<message_id>` (message_id is unique per chat only). */
  @Column({ type: 'text', nullable: true }) providerMessageId: string | null;
  @Column({ type: 'text' }) type: string;
  @Column({ type: 'text', nullable: true }) text: string | null;
  @Column({ type: 'jsonb', nullable: true }) media: Record<string, unknown> | null;
  @Column({ type: 'jsonb', nullable: true }) location: Record<string, unknown> | null;
  @Column({ type: 'jsonb', nullable: true }) contacts: Record<string, unknown>[] | null;
  @Column({ type: 'jsonb', nullable: true }) reaction: Record<string, unknown> | null;
  @Column({ type: 'jsonb', nullable: true }) template: Record<string, unknown> | null;
  /** Provider message id this one replies to. */
  @Column({ type: 'text', nullable: true }) replyTo: string | null;
  @Column({ type: 'jsonb', nullable: true }) sender: Record<string, unknown> | null;
  @Column({ type: 'text' }) status: MessageStatus;
  @Column({ type: 'jsonb', nullable: true }) error: Record<string, unknown> | null;
  @Column({ type: 'text', nullable: true }) idempotencyKey: string | null;
  /** sha256 of the request body that used the idempotency key. */
  @Column({ type: 'text', nullable: true }) requestHash: string | null;
  @Column({ type: 'jsonb', nullable: true }) raw: Record<string, unknown> | null;
  /** When the provider says the message was sent/received. */
  @Column({ type: 'timestamptz', nullable: true }) providerTimestamp: Date | null;
  @Column({ type: 'timestamptz', nullable: true }) editedAt: Date | null;
  @Column({ type: 'timestamptz', nullable: true }) statusUpdatedAt: Date | null;
  /** Async sends: the resolved normalized message the send worker sends (issue 11); null for sync sends. */
  @Column({ type: 'jsonb', nullable: true, select: false }) outbound?: Record<string, unknown> | null;
  /** Async sends: order within the chat (sequence `messages_queue_seq`). */
  @Column({ type: 'bigint', nullable: true, select: false }) queueSeq?: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
