import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-instance, per-day usage counters (DESIGN.md §3 `usage_daily`). Rows are only ever
 * incremented by the batched flush in UsageService (`INSERT … ON CONFLICT DO UPDATE SET x = x + n`);
 * `date` is the UTC day. Counters are bigint: media bytes overflow int within a day.
 */
export class UsageDaily1763900000000 implements MigrationInterface {
  name = 'UsageDaily1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE usage_daily (
        instance_id uuid NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        date date NOT NULL,
        messages_sent bigint NOT NULL DEFAULT 0,
        messages_received bigint NOT NULL DEFAULT 0,
        media_sent bigint NOT NULL DEFAULT 0,
        media_received bigint NOT NULL DEFAULT 0,
        media_bytes bigint NOT NULL DEFAULT 0,
        api_calls bigint NOT NULL DEFAULT 0,
        webhooks_sent bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (instance_id, date)
      )`);
    await q.query(`CREATE INDEX usage_daily_date_idx ON usage_daily (date)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE usage_daily`);
  }
}
