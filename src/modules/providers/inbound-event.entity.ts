import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Raw archive of every verified provider webhook/update; its unique key dedupes redeliveries. */
@Entity('inbound_events')
export class InboundEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ type: 'text' }) provider: string;
  @Column({ type: 'uuid' }) instanceId: string;
  /** Telegram: update_id. */
  @Column({ type: 'text' }) providerEventId: string;
  @Column({ type: 'jsonb' }) payload: Record<string, unknown>;
  /** `stored` or `skipped` (update kinds we don't handle), with the reason. */
  @Column({ type: 'text', default: 'stored' }) outcome: string;
  @Column({ type: 'text', nullable: true }) skipReason: string | null;
  @Column({ type: 'timestamptz', default: () => 'now()' }) receivedAt: Date;
  /** inbound_requests.id of the webhook request it came with; null for connection ingests. */
  @Column({ type: 'bigint', nullable: true }) requestId: string | null;
}
