import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * WhatsApp Web (issue 14): the config table 1:1 with `instances`, the Baileys auth state
 * (creds + signal keys as rows, every value secret-box ciphertext; providers/whatsapp-web.md §3.3)
 * and the account's WhatsApp contacts as WhatsApp reports them (phone JID and LID side by side).
 */
export class WhatsappWeb1765700000000 implements MigrationInterface {
  name = 'WhatsappWeb1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE whatsapp_web_instances (
        instance_id uuid PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
        pairing_phone text,
        me_jid text,
        me_lid text,
        me_name text,
        qr_code_enc text,
        qr_attempt int NOT NULL DEFAULT 0,
        qr_expires_at timestamptz,
        pairing_code text,
        linked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE whatsapp_web_auth_creds (
        instance_id uuid PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
        creds text NOT NULL,
        registered boolean NOT NULL DEFAULT false,
        me_jid text,
        me_lid text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE whatsapp_web_auth_keys (
        instance_id uuid NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        type text NOT NULL,
        id text NOT NULL,
        value text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (instance_id, type, id)
      )`);
    await q.query(`
      CREATE TABLE whatsapp_web_contacts (
        instance_id uuid NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        jid text NOT NULL,
        lid text,
        phone text,
        name text,
        notify text,
        verified_name text,
        is_group boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (instance_id, jid)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX whatsapp_web_contacts_lid_idx ON whatsapp_web_contacts (instance_id, lid) WHERE lid IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE whatsapp_web_contacts`);
    await q.query(`DROP TABLE whatsapp_web_auth_keys`);
    await q.query(`DROP TABLE whatsapp_web_auth_creds`);
    await q.query(`DROP TABLE whatsapp_web_instances`);
  }
}
