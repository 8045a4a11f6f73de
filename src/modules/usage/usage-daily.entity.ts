import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * One instance's usage on one UTC day (DESIGN.md §3). Written only by UsageService's batched
 * flush; bigint columns come back from node-postgres as strings.
 */
@Entity('usage_daily')
export class UsageDailyEntity {
  @PrimaryColumn({ type: 'uuid' }) instanceId: string;
  /** UTC day, `YYYY-MM-DD`. */
  @PrimaryColumn({ type: 'date' }) date: string;
  @Column({ type: 'bigint', default: 0 }) messagesSent: string;
  @Column({ type: 'bigint', default: 0 }) messagesReceived: string;
  @Column({ type: 'bigint', default: 0 }) mediaSent: string;
  @Column({ type: 'bigint', default: 0 }) mediaReceived: string;
  /** Bytes of media sent and received (as far as the provider reports sizes). */
  @Column({ type: 'bigint', default: 0 }) mediaBytes: string;
  @Column({ type: 'bigint', default: 0 }) apiCalls: string;
  /** Client webhook deliveries that succeeded. */
  @Column({ type: 'bigint', default: 0 }) webhooksSent: string;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
