import { useEffect, useState } from 'react';
import { Link, useParams, useSearch } from 'wouter';
import { api, ok } from '../api/client';
import { Empty, ErrorNotice, Loading, Pager, when } from '../components/ui';
import { useLiveEvents, useLoad } from '../hooks';
import { BotIcon } from '../components/icons';
import { chatName } from '../model';
import { useTitle } from '../title';
import { Conversation } from '../components/conversation';

const PAGE = 50;
const MESSAGE_EVENTS = new Set(['message_received', 'message_sent', 'message_failed', 'message_status']);

/**
 * The operator inbox (seeds/bot-as-proxy.md): chats across instances with the newest message and
 * unread counts, and the open conversation; both follow the event stream.
 */
export default function InboxPage() {
  useTitle('Inbox');
  const params = useParams<{ instanceId?: string; chatId?: string }>();
  const instanceFilter = new URLSearchParams(useSearch()).get('instance') ?? undefined;
  const [skip, setSkip] = useState(0);
  const chats = useLoad(
    () =>
      ok(
        api.GET('/api/chats', {
          params: { query: { limit: PAGE, skip, ...(instanceFilter ? { instanceId: instanceFilter } : {}) } },
        }),
      ),
    `chats:${skip}:${instanceFilter ?? ''}`,
  );
  // a burst of events (a message and its status) reloads the list once
  const [changed, setChanged] = useState(0);
  useLiveEvents((e) => {
    if (MESSAGE_EVENTS.has(e.event)) setChanged((n) => n + 1);
  }, chats.reload);
  const { reload } = chats;
  useEffect(() => {
    if (changed === 0) return;
    const t = setTimeout(reload, 250);
    return () => clearTimeout(t);
  }, [changed, reload]);

  const open = params.chatId ? chats.data?.chats.find((c) => c.id === params.chatId) : undefined;
  return (
    <div className={`inbox ${params.chatId ? 'has-chat' : ''}`}>
      <section className="chat-list" aria-labelledby="inbox-title">
        <h1 id="inbox-title">Inbox</h1>
        {instanceFilter && (
          <p className="small">
            One instance only · <Link href="/inbox">all instances</Link>
          </p>
        )}
        {chats.loading && !chats.data && <Loading />}
        <ErrorNotice error={chats.error} onRetry={chats.reload} />
        {chats.data &&
          (chats.data.chats.length === 0 ? (
            <Empty>No conversation yet: chats appear here when someone writes to one of your bots.</Empty>
          ) : (
            <ul aria-label="Chats">
              {chats.data.chats.map((c) => (
                <li key={c.id}>
                  <Link
                    href={`/inbox/${c.instanceId}/${c.id}`}
                    className="chat-item"
                    aria-current={c.id === params.chatId ? 'true' : undefined}
                    data-chat={c.id}
                  >
                    <span className="chat-top">
                      <strong>{chatName(c)}</strong>
                      <time dateTime={c.lastMessageAt ?? undefined}>{when(c.lastMessageAt)}</time>
                    </span>
                    <span className="chat-bottom">
                      <span className="preview">
                        {c.lastMessage?.direction === 'out' && (
                          <>
                            <BotIcon />
                            <span className="sr-only">The bot: </span>{' '}
                          </>
                        )}
                        {c.lastMessage?.text ?? (c.lastMessage ? `[${c.lastMessage.type}]` : '')}
                      </span>
                      {c.unreadCount > 0 && (
                        <span className="unread" data-testid="unread">
                          {c.unreadCount}
                          <span className="sr-only"> unread</span>
                        </span>
                      )}
                    </span>
                    <span className="muted small">
                      {c.instanceName} · {c.provider}
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          ))}
        <Pager pagination={chats.data?.pagination} onSkip={setSkip} />
      </section>
      <section className="conversation-pane" aria-label="Conversation">
        {params.instanceId && params.chatId ? (
          <Conversation
            key={params.chatId}
            instanceId={params.instanceId}
            chatId={params.chatId}
            chat={open}
            onSeen={chats.reload}
          />
        ) : (
          <Empty>Choose a chat to read and answer it.</Empty>
        )}
      </section>
    </div>
  );
}
