import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dashboard inbox (issue 12): when an operator last read a chat in Switchboard. Unread counts are
 * the inbound messages stored after it (`messages_chat_created_idx` serves that count).
 */
export class ChatReadMarker1764120000000 implements MigrationInterface {
  name = 'ChatReadMarker1764120000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE chats ADD COLUMN last_read_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE chats DROP COLUMN last_read_at`);
  }
}
