import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { DataSource } from 'typeorm';
import { isAdmin, Principal } from '../../common/auth/principal';
import { NotFoundError } from '../../common/errors/app-error';
import { InstancesService } from '../instances/instances.service';
import { ChatActivity } from './chat-activity';
import type { ChatSeenDto, InboxChatDto, InboxListDto, InboxQuery } from './inbox.dto';

interface InboxRow {
  id: string;
  instance_id: string;
  instance_name: string;
  provider: string;
  provider_chat_id: string;
  type: string;
  title: string | null;
  contact_id: string | null;
  contact_name: string | null;
  last_message_at: Date | null;
  last_read_at: Date | null;
  unread_count: number;
  lm_id: string | null;
  lm_direction: 'in' | 'out' | null;
  lm_type: string | null;
  lm_text: string | null;
  lm_status: string | null;
  lm_created_at: Date | null;
  total: number;
}

/**
 * The operator inbox (issue 12, seeds/bot-as-proxy.md): chats across the caller's instances
 * (admins: all, as GET /api/instances) with the newest message and an unread count, and the
 * per-chat read marker behind that count. The marker is Switchboard's own: the provider is not told.
 */
@Injectable()
export class InboxService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly instances: InstancesService,
    private readonly chatActivity: ChatActivity,
  ) {}

  async list(principal: Principal, q: InboxQuery): Promise<InboxListDto> {
    const limit = q.limit ?? 50;
    const skip = q.skip ?? 0;
    await this.chatActivity.flush(); // this process's pending last_message_at stamps
    const rows: InboxRow[] = await this.db.query(
      `SELECT c.id, c.instance_id, i.name AS instance_name, i.provider, c.provider_chat_id, c.type, c.title,
              c.contact_id, COALESCE(ct.name, ct.push_name, ct.username) AS contact_name,
              c.last_message_at, c.last_read_at,
              (SELECT count(*) FROM messages u
                WHERE u.chat_id = c.id AND u.direction = 'in'
                  AND u.created_at > COALESCE(c.last_read_at, '-infinity'))::int AS unread_count,
              lm.id AS lm_id, lm.direction AS lm_direction, lm.type AS lm_type, lm.text AS lm_text,
              lm.status AS lm_status, lm.created_at AS lm_created_at,
              count(*) OVER ()::int AS total
         FROM chats c
         JOIN instances i ON i.id = c.instance_id
         LEFT JOIN contacts ct ON ct.id = c.contact_id
         LEFT JOIN LATERAL (
           SELECT m.id, m.direction, m.type, m.text, m.status, m.created_at FROM messages m
            WHERE m.chat_id = c.id ORDER BY m.created_at DESC LIMIT 1
         ) lm ON true
        WHERE ($1::uuid IS NULL OR i.user_id = $1) AND ($2::uuid IS NULL OR c.instance_id = $2)
        ORDER BY c.last_message_at DESC NULLS LAST, c.created_at DESC, c.id
        LIMIT $3 OFFSET $4`,
      [isAdmin(principal) ? null : principal.userId, q.instanceId ?? null, limit, skip],
    );
    // past the last page the window count is gone: count separately
    const total = rows[0]?.total ?? (skip > 0 ? await this.count(principal, q.instanceId) : 0);
    return {
      chats: rows.map(toInboxChat),
      pagination: { total, limit, skip, hasMore: skip + rows.length < total },
    };
  }

  /**
   * Marks a chat read up to now. @param chatRef our chat id or the provider's.
   * @throws NotFoundError for another tenant's instance or an unknown chat
   */
  async seen(principal: Principal, instanceId: string, chatRef: string): Promise<ChatSeenDto> {
    const instance = await this.instances.get(principal, instanceId);
    const column = isUUID(chatRef) ? 'id' : 'provider_chat_id';
    // wrapped in a CTE: TypeORM returns [rows, count] for a bare UPDATE, plain rows for a SELECT
    const [row]: { id: string; last_read_at: Date }[] = await this.db.query(
      `WITH u AS (
         UPDATE chats SET last_read_at = now() WHERE instance_id = $1 AND ${column} = $2 RETURNING id, last_read_at
       ) SELECT id, last_read_at FROM u`,
      [instance.id, chatRef],
    );
    if (!row) throw new NotFoundError('Chat', chatRef);
    return { chatId: row.id, lastReadAt: row.last_read_at, unreadCount: 0 };
  }

  private async count(principal: Principal, instanceId?: string): Promise<number> {
    const [{ n }] = await this.db.query(
      `SELECT count(*)::int AS n FROM chats c JOIN instances i ON i.id = c.instance_id
        WHERE ($1::uuid IS NULL OR i.user_id = $1) AND ($2::uuid IS NULL OR c.instance_id = $2)`,
      [isAdmin(principal) ? null : principal.userId, instanceId ?? null],
    );
    return n;
  }
}

function toInboxChat(r: InboxRow): InboxChatDto {
  return {
    id: r.id,
    instanceId: r.instance_id,
    instanceName: r.instance_name,
    provider: r.provider,
    providerChatId: r.provider_chat_id,
    type: r.type,
    title: r.title,
    contactId: r.contact_id,
    contactName: r.contact_name,
    lastMessageAt: r.last_message_at,
    lastReadAt: r.last_read_at,
    unreadCount: r.unread_count,
    lastMessage: r.lm_id
      ? {
          id: r.lm_id,
          direction: r.lm_direction!,
          type: r.lm_type!,
          text: r.lm_text,
          status: r.lm_status!,
          createdAt: r.lm_created_at!,
        }
      : null,
  };
}
