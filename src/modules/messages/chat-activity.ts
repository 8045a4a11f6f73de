import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** How long a chat's `last_message_at` may lag an outbound send, ms. */
const FLUSH_DELAY_MS = 100;

/**
 * `chats.last_message_at` for outbound sends, written in batches instead of by every send: a send
 * calls {@link touch} (memory only), and at most every 100 ms one statement moves every touched
 * chat forward (`GREATEST`, so an older stamp never overwrites a newer one). Sends to one busy chat
 * therefore never queue on that chat's row lock (issue 11: it was 89 % of the database's time).
 * Readers that order by `last_message_at` call {@link flush} first. Graceful shutdown flushes; a
 * crash loses at most the last 100 ms of stamps (the messages themselves are committed).
 */
@Injectable()
export class ChatActivity implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ChatActivity.name);
  private pending = new Map<string, Date>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Records that chat `chatId` had a message at `at` (written within 100 ms). */
  touch(chatId: string, at: Date): void {
    const known = this.pending.get(chatId);
    if (!known || known < at) this.pending.set(chatId, at);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
  }

  /** Writes every pending stamp now; resolves once they (and any write under way) are committed. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = new Map();
    this.writing = this.writing.then(() => (batch.size ? this.write(batch) : undefined));
    return this.writing;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  private async write(batch: Map<string, Date>): Promise<void> {
    try {
      await this.db.query(
        `UPDATE chats c SET last_message_at = GREATEST(c.last_message_at, v.at), updated_at = now()
           FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, at)
          WHERE c.id = v.id AND (c.last_message_at IS NULL OR c.last_message_at < v.at)`,
        [[...batch.keys()], [...batch.values()]],
      );
    } catch (err) {
      // chats keep their previous stamp; the next send to them stamps them again
      this.logger.warn({ err: (err as Error).message, chats: batch.size }, 'chat activity flush failed');
    }
  }
}
