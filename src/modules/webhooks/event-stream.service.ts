import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { EventEnvelope } from './event-types';
import { toEnvelope } from './events.service';

/** How often an open stream looks for new events, ms (an event reaches the client within about this). */
export const STREAM_POLL_MS = 250;

/**
 * Live event feed for clients that cannot expose a public URL. Each open stream follows the
 * outbox by `sequence` (an indexed range read every STREAM_POLL_MS), so it sees events written
 * by any process — API or worker — without extra work on the ingest path.
 */
@Injectable()
export class EventStreamService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Events of `instanceId` recorded after the stream opened, oldest first, optionally filtered by type. */
  follow(instanceId: string, provider: string, types?: string[]): Observable<EventEnvelope> {
    return new Observable<EventEnvelope>((subscriber) => {
      let open = true;
      void (async () => {
        const [{ max }] = await this.db.query(
          'SELECT coalesce(max(sequence), 0) AS max FROM events WHERE instance_id = $1',
          [instanceId],
        );
        let after = String(max);
        while (open) {
          const rows = await this.db.query(
            `SELECT id, type, instance_id AS "instanceId", sequence, payload, created_at AS "createdAt"
               FROM events WHERE instance_id = $1 AND sequence > $2 ORDER BY sequence LIMIT 500`,
            [instanceId, after],
          );
          for (const row of rows) {
            after = String(row.sequence);
            if (!types?.length || types.includes(row.type)) subscriber.next(toEnvelope(row, provider));
          }
          if (rows.length < 500) await new Promise((r) => setTimeout(r, STREAM_POLL_MS));
        }
      })().catch((err) => subscriber.error(err));
      return () => {
        open = false;
      };
    });
  }

  /**
   * Events of every instance of `userId` (null: every instance, for admins), including instances
   * created after the stream opened, oldest first, optionally filtered by type. Followed by the
   * global `sequence` (unique, indexed) like {@link follow}.
   */
  followAccount(userId: string | null, types?: string[]): Observable<EventEnvelope> {
    return new Observable<EventEnvelope>((subscriber) => {
      let open = true;
      void (async () => {
        const [{ max }] = await this.db.query('SELECT coalesce(max(sequence), 0) AS max FROM events');
        let after = String(max);
        while (open) {
          const rows = await this.db.query(
            `SELECT e.id, e.type, e.instance_id AS "instanceId", e.sequence, e.payload, e.created_at AS "createdAt",
                    i.provider
               FROM events e JOIN instances i ON i.id = e.instance_id
              WHERE e.sequence > $2 AND ($1::uuid IS NULL OR i.user_id = $1)
              ORDER BY e.sequence LIMIT 500`,
            [userId, after],
          );
          for (const row of rows) {
            after = String(row.sequence);
            if (!types?.length || types.includes(row.type)) subscriber.next(toEnvelope(row, row.provider));
          }
          if (rows.length < 500) await new Promise((r) => setTimeout(r, STREAM_POLL_MS));
        }
      })().catch((err) => subscriber.error(err));
      return () => {
        open = false;
      };
    });
  }
}
