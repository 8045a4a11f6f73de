import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('webhook_delivery_attempts')
export class WebhookDeliveryAttemptEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ type: 'uuid' }) deliveryId: string;
  /** 1-based attempt number. */
  @Column({ type: 'int' }) attempt: number;
  @Column({ type: 'int', nullable: true }) statusCode: number | null;
  @Column({ type: 'int' }) durationMs: number;
  /** Error class, e.g. `timeout`, `connect_error`, `http_500`, `redirect`. */
  @Column({ type: 'text', nullable: true }) error: string | null;
  /** First 4 KiB of the response body. */
  @Column({ type: 'text', nullable: true }) responseSnippet: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}
