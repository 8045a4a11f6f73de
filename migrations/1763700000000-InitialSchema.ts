import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Core schema for the gateway (DESIGN.md §3): users and API keys, instances and their Telegram
 * config, contacts, chats, messages, the inbound archive, the event outbox, webhook deliveries
 * and attempts, and the activity log. Indexes follow the queries in the services.
 */
export class InitialSchema1763700000000 implements MigrationInterface {
  name = 'InitialSchema1763700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL,
        password_hash text NOT NULL,
        first_name text,
        last_name text,
        role text NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),
        is_active boolean NOT NULL DEFAULT true,
        last_login_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email_key ON users (lower(email))`);

    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name text NOT NULL,
        prefix text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        last_used_at timestamptz,
        expires_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX api_keys_user_idx ON api_keys (user_id, created_at DESC)`);

    await q.query(`
      CREATE TABLE instances (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        provider text NOT NULL,
        name text NOT NULL,
        description text,
        status text NOT NULL DEFAULT 'connecting',
        status_reason text,
        last_activity_at timestamptz,
        webhook_url text,
        webhook_enabled boolean NOT NULL DEFAULT false,
        notify_received boolean NOT NULL DEFAULT true,
        notify_sent boolean NOT NULL DEFAULT true,
        notify_delivery boolean NOT NULL DEFAULT false,
        notify_read boolean NOT NULL DEFAULT false,
        max_retries integer NOT NULL DEFAULT 3 CHECK (max_retries >= 0),
        retry_interval_ms integer NOT NULL DEFAULT 60000 CHECK (retry_interval_ms > 0),
        webhook_secret_enc text,
        webhook_headers jsonb NOT NULL DEFAULT '{}',
        limits jsonb NOT NULL DEFAULT '{}',
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX instances_user_idx ON instances (user_id, created_at DESC)`);
    await q.query(`CREATE INDEX instances_provider_idx ON instances (provider)`);

    await q.query(`
      CREATE TABLE telegram_instances (
        instance_id uuid PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
        bot_token_enc text NOT NULL,
        bot_token_hash text NOT NULL UNIQUE,
        bot_id bigint NOT NULL,
        bot_username text,
        mode text NOT NULL CHECK (mode IN ('webhook', 'polling')),
        webhook_secret_token_enc text NOT NULL,
        update_offset bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE contacts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        instance_id uuid NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        provider_contact_id text NOT NULL,
        name text,
        push_name text,
        username text,
        phone text,
        is_group boolean NOT NULL DEFAULT false,
        profile_picture text,
        about text,
        last_activity_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (instance_id, provider_contact_id)
      )`);
    await q.query(
      `CREATE INDEX contacts_instance_activity_idx ON contacts (instance_id, last_activity_at DESC NULLS LAST)`,
    );

    await q.query(`
      CREATE TABLE chats (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        instance_id uuid NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        provider_chat_id text NOT NULL,
        contact_id uuid REFERENCES contacts(id) ON DELETE SET NULL,
        type text NOT NULL DEFAULT 'private',
        title text,
        last_message_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (instance_id, provider_chat_id)
      )`);
    await q.query(
      `CREATE INDEX chats_instance_recent_idx ON chats (instance_id, last_message_at DESC NULLS LAST)`,
    );

    await q.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        instance_id uuid NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        chat_id uuid NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        direction text NOT NULL CHECK (direction IN ('in', 'out')),
        provider_message_id text,
        type text NOT NULL,
        text text,
        media jsonb,
        location jsonb,
        contacts jsonb,
        reaction jsonb,
        template jsonb,
        reply_to text,
        sender jsonb,
        status text NOT NULL,
        error jsonb,
        idempotency_key text,
        request_hash text,
        raw jsonb,
        provider_timestamp timestamptz,
        edited_at timestamptz,
        status_updated_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX messages_provider_id_key ON messages (instance_id, provider_message_id) WHERE provider_message_id IS NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX messages_idempotency_key ON messages (instance_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(`CREATE INDEX messages_chat_created_idx ON messages (chat_id, created_at DESC)`);

    await q.query(`
      CREATE TABLE inbound_events (
        id bigserial PRIMARY KEY,
        provider text NOT NULL,
        instance_id uuid NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        provider_event_id text NOT NULL,
        payload jsonb NOT NULL,
        outcome text NOT NULL DEFAULT 'stored',
        skip_reason text,
        received_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (provider, instance_id, provider_event_id)
      )`);

    await q.query(`
      CREATE TABLE events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sequence bigserial NOT NULL UNIQUE,
        instance_id uuid NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        type text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX events_instance_created_idx ON events (instance_id, created_at, sequence)`);

    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        instance_id uuid NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        url text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'failed', 'succeeded', 'dead')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        last_status_code integer,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX webhook_deliveries_instance_idx ON webhook_deliveries (instance_id, created_at DESC)`,
    );
    await q.query(`CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id)`);
    await q.query(
      `CREATE INDEX webhook_deliveries_open_idx ON webhook_deliveries (created_at) WHERE status IN ('pending', 'failed')`,
    );

    await q.query(`
      CREATE TABLE webhook_delivery_attempts (
        id bigserial PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        status_code integer,
        duration_ms integer NOT NULL,
        error text,
        response_snippet text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX webhook_delivery_attempts_delivery_idx ON webhook_delivery_attempts (delivery_id, attempt)`,
    );

    await q.query(`
      CREATE TABLE activity_logs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        instance_id uuid NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
        action text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX activity_logs_instance_idx ON activity_logs (instance_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'activity_logs',
      'webhook_delivery_attempts',
      'webhook_deliveries',
      'events',
      'inbound_events',
      'messages',
      'chats',
      'contacts',
      'telegram_instances',
      'instances',
      'api_keys',
      'users',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
