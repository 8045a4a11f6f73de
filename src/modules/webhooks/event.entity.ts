import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Outbox of client-facing events; `payload` is the full envelope sent to webhooks. */
@Entity('events')
export class EventEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  /** Monotonic (bigserial) across the gateway; ordering aid for consumers. */
  @Column({ type: 'bigint', insert: false, update: false }) sequence: string;
  @Column({ type: 'uuid' }) instanceId: string;
  @Column({ type: 'text' }) type: string;
  @Column({ type: 'jsonb' }) payload: Record<string, unknown>;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}
