import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delivery log, policies and retention (issue 3): endpoint state on `instances` (disabled reason
 * and time, failing-since for the health check, the previous secret kept through a rotation's
 * grace), retry series and ordered replays on `webhook_deliveries`, and indexes for the log's
 * list query, replays by range and the retention job.
 */
export class WebhookDeliveryLog1763800000000 implements MigrationInterface {
  name = 'WebhookDeliveryLog1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE instances
        ADD COLUMN webhook_disabled_reason text,
        ADD COLUMN webhook_disabled_at timestamptz,
        ADD COLUMN webhook_failing_since timestamptz,
        ADD COLUMN webhook_previous_secret_enc text,
        ADD COLUMN webhook_previous_secret_expires_at timestamptz`);
    await q.query(`
      ALTER TABLE webhook_deliveries
        ADD COLUMN series integer NOT NULL DEFAULT 0,
        ADD COLUMN series_start_attempt integer NOT NULL DEFAULT 0,
        ADD COLUMN ordered boolean NOT NULL DEFAULT false`);
    await q.query(
      `CREATE INDEX webhook_deliveries_instance_status_idx ON webhook_deliveries (instance_id, status, created_at DESC)`,
    );
    await q.query(
      `CREATE INDEX webhook_deliveries_retention_idx ON webhook_deliveries (status, updated_at) WHERE status IN ('succeeded', 'dead')`,
    );
    await q.query(`CREATE INDEX events_instance_type_idx ON events (instance_id, type, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS events_instance_type_idx`);
    await q.query(`DROP INDEX IF EXISTS webhook_deliveries_retention_idx`);
    await q.query(`DROP INDEX IF EXISTS webhook_deliveries_instance_status_idx`);
    await q.query(`
      ALTER TABLE webhook_deliveries
        DROP COLUMN ordered,
        DROP COLUMN series_start_attempt,
        DROP COLUMN series`);
    await q.query(`
      ALTER TABLE instances
        DROP COLUMN webhook_previous_secret_expires_at,
        DROP COLUMN webhook_previous_secret_enc,
        DROP COLUMN webhook_failing_since,
        DROP COLUMN webhook_disabled_at,
        DROP COLUMN webhook_disabled_reason`);
  }
}
