import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Slack (issue 10): the `slack_instances` config table, 1:1 with `instances`. Secrets (bot token,
 * signing secret, app-level token) are SecretBox ciphertext; the bot token's hash is unique so one
 * Slack bot backs at most one instance.
 */
export class SlackInstances1765500000000 implements MigrationInterface {
  name = 'SlackInstances1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE slack_instances (
        instance_id uuid PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
        bot_token_enc text NOT NULL,
        bot_token_hash text NOT NULL UNIQUE,
        signing_secret_enc text,
        app_token_enc text,
        socket_mode boolean NOT NULL DEFAULT false,
        team_id text NOT NULL,
        team_name text,
        team_url text,
        bot_user_id text NOT NULL,
        bot_id text,
        bot_name text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (socket_mode = false OR app_token_enc IS NOT NULL),
        CHECK (socket_mode = true OR signing_secret_enc IS NOT NULL)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS slack_instances');
  }
}
