import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Request archive (issue 13: `<p>.<slug>.in.webhook` is the whole payload as received):
 * - `inbound_requests`: the raw body of each provider webhook request, once per (provider,
 *   instance) it addressed, written in the same transaction (or statement) as its items. `body` is
 *   `text` (not jsonb, which reorders keys and drops duplicates): the bytes as received, decoded as
 *   UTF-8. Unique (provider, instance_id, body_sha256): a redelivery of the same body is not
 *   archived twice. No retention, like `inbound_events`.
 * - `inbound_events.request_id`: the request an item came with; null for connection ingests
 *   (Telegram polling, Slack Socket Mode, …).
 * - `nats_outbox` rows with `source = 'request'` (`ref_id = inbound_requests.id`), by a statement
 *   trigger like the others.
 */
export class InboundRequests1765800000000 implements MigrationInterface {
  name = 'InboundRequests1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE inbound_requests (
        id bigserial PRIMARY KEY,
        provider text NOT NULL,
        instance_id uuid NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        body text NOT NULL,
        body_sha256 text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (provider, instance_id, body_sha256)
      )`);
    await q.query(
      `ALTER TABLE inbound_events ADD COLUMN request_id bigint REFERENCES inbound_requests(id) ON DELETE SET NULL`,
    );
    await q.query(
      `CREATE INDEX inbound_events_request_id_idx ON inbound_events (request_id) WHERE request_id IS NOT NULL`,
    );
    await q.query(`ALTER TABLE nats_outbox DROP CONSTRAINT nats_outbox_source_check`);
    await q.query(
      `ALTER TABLE nats_outbox ADD CONSTRAINT nats_outbox_source_check CHECK (source IN ('inbound', 'event', 'request'))`,
    );
    await q.query(`
      CREATE FUNCTION nats_outbox_request() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT enabled FROM nats_publisher WHERE id = 1) THEN
          INSERT INTO nats_outbox (source, ref_id) SELECT 'request', n.id::text FROM new_rows n ORDER BY n.id;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER inbound_requests_nats_outbox AFTER INSERT ON inbound_requests
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nats_outbox_request()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER inbound_requests_nats_outbox ON inbound_requests`);
    await q.query(`DROP FUNCTION nats_outbox_request()`);
    await q.query(`DELETE FROM nats_outbox WHERE source = 'request'`);
    await q.query(`ALTER TABLE nats_outbox DROP CONSTRAINT nats_outbox_source_check`);
    await q.query(
      `ALTER TABLE nats_outbox ADD CONSTRAINT nats_outbox_source_check CHECK (source IN ('inbound', 'event'))`,
    );
    await q.query(`ALTER TABLE inbound_events DROP COLUMN request_id`);
    await q.query(`DROP TABLE inbound_requests`);
  }
}
