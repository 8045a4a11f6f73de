import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * NATS (issue 13):
 * - `instances.slug`: the `<name>` token of every NATS subject, `^[a-z0-9_-]{1,64}$`, unique per
 *   provider; existing instances get one derived from `name` (same rule as slugFromName in
 *   src/modules/nats/slug.ts; a clash within a provider gets `-<first 8 of the id>`).
 * - `nats_outbox`: what the JetStream publisher still has to publish, one row per archived
 *   inbound provider event (`source = 'inbound'`, `ref_id = inbound_events.id`) and per outbox
 *   event (`source = 'event'`, `ref_id = events.id`). Rows are written by statement triggers in the
 *   transaction that writes the archive / event, so nothing committed can be missed, and deleted
 *   by the publisher once JetStream acked them (FOR UPDATE SKIP LOCKED: several workers share).
 * - `nats_publisher`: one row; the triggers write only while `enabled` (set at boot from NATS_URL),
 *   so a gateway without NATS accumulates nothing.
 */
export class NatsOutbox1765300000000 implements MigrationInterface {
  name = 'NatsOutbox1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE instances ADD COLUMN slug text`);
    await q.query(`
      WITH base AS (
        SELECT id, provider, created_at,
               COALESCE(NULLIF(left(btrim(regexp_replace(lower(name), '[^a-z0-9_-]+', '_', 'g'), '_-'), 55), ''),
                        'instance') AS b
          FROM instances
      ), numbered AS (
        SELECT id, b, row_number() OVER (PARTITION BY provider, b ORDER BY created_at, id) AS n FROM base
      )
      UPDATE instances i SET slug = CASE WHEN n = 1 THEN b ELSE b || '-' || left(i.id::text, 8) END
        FROM numbered WHERE numbered.id = i.id`);
    await q.query(`ALTER TABLE instances ALTER COLUMN slug SET NOT NULL`);
    await q.query(
      `ALTER TABLE instances ADD CONSTRAINT instances_slug_format CHECK (slug ~ '^[a-z0-9_-]{1,64}$')`,
    );
    await q.query(`CREATE UNIQUE INDEX instances_provider_slug_key ON instances (provider, slug)`);

    await q.query(`
      CREATE TABLE nats_outbox (
        id bigserial PRIMARY KEY,
        source text NOT NULL CHECK (source IN ('inbound', 'event')),
        ref_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE nats_publisher (
        id int PRIMARY KEY CHECK (id = 1),
        enabled boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO nats_publisher (id, enabled) VALUES (1, false)`);
    await q.query(`
      CREATE FUNCTION nats_outbox_inbound() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT enabled FROM nats_publisher WHERE id = 1) THEN
          INSERT INTO nats_outbox (source, ref_id) SELECT 'inbound', n.id::text FROM new_rows n ORDER BY n.id;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION nats_outbox_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT enabled FROM nats_publisher WHERE id = 1) THEN
          INSERT INTO nats_outbox (source, ref_id) SELECT 'event', n.id::text FROM new_rows n ORDER BY n.sequence;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER inbound_events_nats_outbox AFTER INSERT ON inbound_events
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nats_outbox_inbound()`);
    await q.query(`
      CREATE TRIGGER events_nats_outbox AFTER INSERT ON events
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION nats_outbox_event()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER events_nats_outbox ON events`);
    await q.query(`DROP TRIGGER inbound_events_nats_outbox ON inbound_events`);
    await q.query(`DROP FUNCTION nats_outbox_event()`);
    await q.query(`DROP FUNCTION nats_outbox_inbound()`);
    await q.query(`DROP TABLE nats_publisher`);
    await q.query(`DROP TABLE nats_outbox`);
    await q.query(`DROP INDEX instances_provider_slug_key`);
    await q.query(`ALTER TABLE instances DROP CONSTRAINT instances_slug_format`);
    await q.query(`ALTER TABLE instances DROP COLUMN slug`);
  }
}
