import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * One event to one URL. status: `pending` (not yet tried), `failed` (last attempt failed, a retry
 * is scheduled at nextAttemptAt), `succeeded`, `dead` (retries exhausted or not retryable).
 */
export type DeliveryStatus = 'pending' | 'failed' | 'succeeded' | 'dead';

@Entity('webhook_deliveries')
export class WebhookDeliveryEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'uuid' }) eventId: string;
  @Column({ type: 'uuid' }) instanceId: string;
  @Column({ type: 'text' }) url: string;
  @Column({ type: 'text', default: 'pending' }) status: DeliveryStatus;
  @Column({ type: 'int', default: 0 }) attempts: number;
  @Column({ type: 'timestamptz', nullable: true }) nextAttemptAt: Date | null;
  @Column({ type: 'int', nullable: true }) lastStatusCode: number | null;
  @Column({ type: 'text', nullable: true }) lastError: string | null;
  @Column({ type: 'timestamptz', nullable: true }) deliveredAt: Date | null;
  /** Manual retry series (0 = the original one); the BullMQ job id is `<id>` or `<id>-r<series>`. */
  @Column({ type: 'int', default: 0 }) series: number;
  /** `attempts` when the current series began: the retry budget counts attempts after it. */
  @Column({ type: 'int', default: 0 }) seriesStartAttempt: number;
  /** Part of a replay: delivered through the ordered (one at a time) queue. */
  @Column({ type: 'boolean', default: false }) ordered: boolean;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
