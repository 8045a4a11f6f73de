import {
  useCallback,
  useEffect,
  useEffectEvent,
  useRef,
  useState,
  type FormEvent,
  type KeyboardEvent,
} from 'react';
import { Link } from 'wouter';
import { api, ok } from '../api/client';
import {
  MESSAGE_STATUSES,
  type Capabilities,
  type InboxChat,
  type Message,
  type MessageStatus,
} from '../api/types';
import { useLiveEvents, useLoad } from '../hooks';
import { accountName } from '../model';
import { ErrorNotice, Loading, fullTime, when } from './ui';
import { BotIcon, PaperclipIcon } from './icons';
import { Ticks } from './ticks';

const PAGE = 50;
const MEDIA_TYPES = ['document', 'image', 'video', 'audio'] as const;

/** A message typed here, shown at once and replaced by the stored one when the API answers. */
interface Pending {
  key: string;
  text: string;
  status: 'queued' | 'failed';
}

/** Newest last, each id once (pages and live refreshes overlap). */
function merge(current: Message[], incoming: Message[]): Message[] {
  const byId = new Map(current.map((m) => [m.id, m]));
  for (const m of incoming) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

function senderName(m: Message): string | null {
  const name = m.from?.name ?? m.from?.username;
  return typeof name === 'string' ? name : null;
}

function mediaLabel(m: Message): string | null {
  if (!m.hasMedia) return null;
  return m.fileName ?? m.mediaUrl ?? `[${m.type}]`;
}

/**
 * One chat: its history (older pages on demand), live updates from the event stream, and the
 * composer that sends through the bot: the customer sees the bot, not the operator.
 */
export function Conversation({
  instanceId,
  chatId,
  chat,
  onSeen,
}: {
  instanceId: string;
  chatId: string;
  chat?: InboxChat;
  onSeen: () => void;
}) {
  const [messages, setMessages] = useState<Message[]>([]);
  const [pending, setPending] = useState<Pending[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [older, setOlder] = useState<{ skip: number; hasMore: boolean }>({ skip: 0, hasMore: false });
  const [error, setError] = useState<unknown>(null);
  const list = useRef<HTMLDivElement>(null);

  const fetchPage = useCallback(
    (skip: number) =>
      ok(
        api.GET('/api/instances/{id}/chats/{chatId}/messages', {
          params: { path: { id: instanceId, chatId }, query: { limit: PAGE, skip } },
        }),
      ),
    [instanceId, chatId],
  );

  const markSeen = useCallback(() => {
    void ok(
      api.POST('/api/instances/{id}/chats/{chatId}/seen', { params: { path: { id: instanceId, chatId } } }),
    )
      .then(onSeen)
      .catch(() => undefined);
  }, [instanceId, chatId, onSeen]);

  /** The newest page again, merged into what is shown (live updates, reconnects). */
  const refresh = useCallback(async () => {
    try {
      const page = await fetchPage(0);
      setMessages((m) => merge(m, page.messages));
      setOlder((o) => (o.skip === 0 ? { skip: 0, hasMore: page.pagination.hasMore } : o));
      setError(null);
    } catch (err) {
      setError(err);
    } finally {
      setLoaded(true);
    }
  }, [fetchPage]);

  const detail = useLoad(
    () => ok(api.GET('/api/instances/{id}', { params: { path: { id: instanceId } } })),
    instanceId,
  );
  const capabilities = useLoad(
    () => ok(api.GET('/api/instances/{id}/capabilities', { params: { path: { id: instanceId } } })),
    instanceId,
  );
  const instance = detail.data;
  const caps = capabilities.data;

  const opened = useEffectEvent(() => markSeen());
  // the component is keyed by chat id: the first page loads once per chat
  useEffect(() => {
    let current = true;
    fetchPage(0).then(
      (page) => {
        if (!current) return;
        setMessages((m) => merge(m, page.messages));
        setOlder({ skip: 0, hasMore: page.pagination.hasMore });
        setLoaded(true);
        opened();
      },
      (err: unknown) => {
        if (!current) return;
        setError(err);
        setLoaded(true);
      },
    );
    return () => {
      current = false;
    };
  }, [fetchPage]);

  useLiveEvents((e) => {
    if (e.instanceId !== instanceId || e.data.chatId !== chatId) return;
    if (e.event === 'message_status') {
      const { messageId, status } = e.data;
      if (typeof messageId === 'string' && MESSAGE_STATUSES.includes(status as MessageStatus))
        setMessages((ms) =>
          ms.map((m) => (m.id === messageId ? { ...m, status: status as MessageStatus } : m)),
        );
      return;
    }
    void refresh();
    if (e.event === 'message_received') markSeen();
  }, refresh);

  useEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [messages.length, pending.length]);

  async function loadOlder() {
    const skip = older.skip + PAGE;
    try {
      const page = await fetchPage(skip);
      setMessages((m) => merge(m, page.messages));
      setOlder({ skip, hasMore: page.pagination.hasMore });
    } catch (err) {
      setError(err);
    }
  }

  const to = chat?.providerChatId ?? messages.find((m) => m.providerChatId)?.providerChatId ?? null;
  const botName = instance ? (accountName(instance) ?? instance.name) : null;
  const title = chat?.title ?? chat?.contactName ?? to ?? 'Conversation';

  return (
    <div className="conversation" data-chat={chatId}>
      <header className="conversation-head">
        <Link href="/inbox" className="back">
          ← Chats
        </Link>
        <h2>{title}</h2>
        <p className="muted small">
          {instance ? `${instance.name} · ${instance.provider}` : ''}{' '}
          <span className="badge bot" data-testid="bot-badge">
            <BotIcon /> From the bot
          </span>
        </p>
      </header>
      <ErrorNotice error={error} />
      {!loaded && <Loading label="Loading messages…" />}
      <div className="messages-scroll" ref={list} role="log" aria-label="Messages" tabIndex={0}>
        <ol className="messages">
          {older.hasMore && (
            <li className="older">
              <button type="button" className="secondary" onClick={loadOlder}>
                Load older messages
              </button>
            </li>
          )}
          {loaded && messages.length === 0 && pending.length === 0 && (
            <li className="muted">No messages yet.</li>
          )}
          {messages.map((m) => (
            <li
              key={m.id}
              className={`message ${m.direction}`}
              data-message={m.id}
              data-direction={m.direction}
            >
              {m.direction === 'out' ? (
                <span className="from-bot" title={botName ? `Sent as ${botName}` : undefined}>
                  <BotIcon /> From the bot
                </span>
              ) : (
                senderName(m) && <span className="sender">{senderName(m)}</span>
              )}
              <p className="body">
                {m.text ?? m.caption ?? ''}
                {mediaLabel(m) && (
                  <span className="media">
                    {' '}
                    <PaperclipIcon /> {mediaLabel(m)}
                  </span>
                )}
              </p>
              <span className="meta">
                <time dateTime={m.createdAt} title={fullTime(m.createdAt)}>
                  {when(m.createdAt)}
                </time>
                {m.direction === 'out' && <Ticks status={m.status} />}
              </span>
              {m.status === 'failed' && m.error && (
                <span className="error small">{String(m.error.message ?? m.error.code ?? 'failed')}</span>
              )}
            </li>
          ))}
          {pending.map((p) => (
            <li key={p.key} className="message out pending" data-direction="out">
              <span className="from-bot">
                <BotIcon /> From the bot
              </span>
              <p className="body">{p.text}</p>
              <span className="meta">
                <Ticks status={p.status} />
              </span>
            </li>
          ))}
        </ol>
      </div>
      {to && (
        <Composer
          instanceId={instanceId}
          to={to}
          botName={botName}
          caps={caps}
          onPending={(p) => setPending((ps) => [...ps.filter((x) => x.key !== p.key), p])}
          onSent={(key, m) => {
            setPending((ps) => ps.filter((x) => x.key !== key));
            setMessages((ms) => merge(ms, [m]));
          }}
        />
      )}
    </div>
  );
}

let pendingSeq = 0;

/** 128 random bits as hex (crypto.randomUUID needs a secure context; plain-http LAN installs are not). */
function idempotencyKey(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function Composer({
  instanceId,
  to,
  botName,
  caps,
  onPending,
  onSent,
}: {
  instanceId: string;
  to: string;
  botName: string | null;
  caps?: Capabilities;
  onPending: (p: Pending) => void;
  onSent: (key: string, m: Message) => void;
}) {
  const [text, setText] = useState('');
  const [mediaType, setMediaType] = useState<(typeof MEDIA_TYPES)[number]>('document');
  const [url, setUrl] = useState('');
  const [file, setFile] = useState<File | null>(null);
  // a file input cannot be cleared through React state: a new key gives an empty one
  const [fileInput, setFileInput] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const canUpload = caps?.mediaUpload ?? false;
  const canUrl = caps?.mediaByUrl ?? false;

  async function send(e?: FormEvent) {
    e?.preventDefault();
    const body = text.trim();
    if (!body && !file && !url) return;
    const key = `pending-${++pendingSeq}`;
    // one key per message typed: a send retried by the browser or the network is not sent twice
    const params = { path: { id: instanceId }, header: { 'Idempotency-Key': idempotencyKey() } };
    onPending({ key, text: body || file?.name || url, status: 'queued' });
    setBusy(true);
    setError(null);
    try {
      let sent: Message;
      if (file) {
        sent = await ok(
          api.POST('/api/instances/{id}/messages/upload', {
            params,
            // the schema types `format: binary` as string; the browser sends the File as a part
            body: {
              to,
              type: mediaType,
              file: file as unknown as string,
              ...(body ? { caption: body } : {}),
            },
            bodySerializer: (b) => {
              const form = new FormData();
              for (const [k, v] of Object.entries(b)) form.append(k, v as string | Blob);
              return form;
            },
          }),
        );
      } else if (url) {
        sent = await ok(
          api.POST('/api/instances/{id}/messages', {
            params,
            body: { to, type: mediaType, media: { url }, ...(body ? { caption: body } : {}) },
          }),
        );
      } else {
        sent = await ok(
          api.POST('/api/instances/{id}/messages', { params, body: { to, type: 'text', text: body } }),
        );
      }
      onSent(key, sent);
      setText('');
      setUrl('');
      setFile(null);
      setFileInput((n) => n + 1);
    } catch (err) {
      onPending({ key, text: body || file?.name || url, status: 'failed' });
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    }
  }

  const hint = `Sent as ${botName ?? 'the bot'}: the customer sees the bot, not you. Enter sends, Shift+Enter adds a line.`;
  return (
    <form className="composer" onSubmit={send}>
      <label htmlFor="composer-text" className="sr-only">
        Reply
      </label>
      <textarea
        id="composer-text"
        rows={2}
        value={text}
        placeholder={`Reply as ${botName ?? 'the bot'}…`}
        aria-describedby="composer-hint"
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <p id="composer-hint" className="muted small" data-testid="composer-hint">
        {hint}
      </p>
      {(canUpload || canUrl) && (
        <details className="attach">
          <summary>Attach a file</summary>
          <div className="row">
            <label>
              Type
              <select
                value={mediaType}
                onChange={(e) => setMediaType(e.target.value as (typeof MEDIA_TYPES)[number])}
              >
                {MEDIA_TYPES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            </label>
            {canUpload ? (
              <label>
                File
                <input key={fileInput} type="file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
              </label>
            ) : (
              <label>
                File URL (the provider downloads it)
                <input
                  type="url"
                  value={url}
                  placeholder="https://…"
                  onChange={(e) => setUrl(e.target.value)}
                />
              </label>
            )}
          </div>
        </details>
      )}
      <ErrorNotice error={error} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Send'}
        </button>
      </div>
    </form>
  );
}
