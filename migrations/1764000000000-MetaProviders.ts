import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Meta providers (issue 4): the WhatsApp Cloud API, Messenger and Instagram config tables, 1:1 with
 * `instances`. Secrets are SecretBox ciphertext; `phone_number_id` / `page_id` / `ig_id` are unique
 * (webhooks are routed by them) and the verify token's hash is indexed for the shared GET handshake.
 */
export class MetaProviders1764000000000 implements MigrationInterface {
  name = 'MetaProviders1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE whatsapp_official_instances (
        instance_id uuid PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
        phone_number_id text NOT NULL UNIQUE,
        waba_id text,
        display_phone_number text,
        verified_name text,
        access_token_enc text NOT NULL,
        app_secret_enc text NOT NULL,
        webhook_verify_token_enc text NOT NULL,
        webhook_verify_token_hash text NOT NULL,
        version text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX whatsapp_official_instances_verify_idx ON whatsapp_official_instances (webhook_verify_token_hash)`,
    );
    await q.query(
      `CREATE INDEX whatsapp_official_instances_waba_idx ON whatsapp_official_instances (waba_id)`,
    );
    await q.query(`
      CREATE TABLE facebook_messenger_instances (
        instance_id uuid PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
        page_id text NOT NULL UNIQUE,
        page_name text,
        page_access_token_enc text NOT NULL,
        app_secret_enc text NOT NULL,
        webhook_verify_token_enc text NOT NULL,
        webhook_verify_token_hash text NOT NULL,
        version text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX facebook_messenger_instances_verify_idx ON facebook_messenger_instances (webhook_verify_token_hash)`,
    );
    await q.query(`
      CREATE TABLE instagram_instances (
        instance_id uuid PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
        ig_id text NOT NULL UNIQUE,
        username text,
        login text NOT NULL CHECK (login IN ('instagram', 'facebook')),
        page_id text,
        access_token_enc text NOT NULL,
        app_secret_enc text NOT NULL,
        meta_app_secret_enc text,
        webhook_verify_token_enc text NOT NULL,
        webhook_verify_token_hash text NOT NULL,
        version text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX instagram_instances_verify_idx ON instagram_instances (webhook_verify_token_hash)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS instagram_instances`);
    await q.query(`DROP TABLE IF EXISTS facebook_messenger_instances`);
    await q.query(`DROP TABLE IF EXISTS whatsapp_official_instances`);
  }
}
