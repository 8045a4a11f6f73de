import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Discord (issue 10): the config table, 1:1 with `instances`. The bot token is SecretBox
 * ciphertext; its sha256 is unique, so one bot backs one instance (and one Gateway connection).
 */
export class DiscordInstances1765600000000 implements MigrationInterface {
  name = 'DiscordInstances1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE discord_instances (
        instance_id uuid PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
        bot_token_enc text NOT NULL,
        bot_token_hash text NOT NULL UNIQUE,
        bot_user_id text NOT NULL,
        bot_username text,
        client_id text NOT NULL,
        intents integer NOT NULL,
        public_key text,
        gateway_stopped_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE discord_instances`);
  }
}
