import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Durable async sends (issue 11): a message queued with `Prefer: respond-async` or through
 * `/messages/batch` keeps what to send (`outbound`, the resolved normalized message) and its
 * place in the send order (`queue_seq`, from `messages_queue_seq`). The send worker takes the
 * oldest queued message of a chat by `(chat_id, queue_seq)`, so order within a chat is the order
 * the API accepted them in, even for the items of one batch.
 */
export class SendQueue1765400000000 implements MigrationInterface {
  name = 'SendQueue1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE messages_queue_seq`);
    await q.query(`ALTER TABLE messages ADD COLUMN outbound jsonb, ADD COLUMN queue_seq bigint`);
    await q.query(
      `CREATE INDEX messages_send_queue_idx ON messages (chat_id, queue_seq) WHERE status = 'queued' AND queue_seq IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX messages_send_queue_idx`);
    await q.query(`ALTER TABLE messages DROP COLUMN outbound, DROP COLUMN queue_seq`);
    await q.query(`DROP SEQUENCE messages_queue_seq`);
  }
}
