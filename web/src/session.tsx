import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ok, setCredentials, type Credentials } from './api/client';
import { EventHub } from './api/event-stream';
import type { User } from './api/types';

interface Session {
  user: User;
  hub: EventHub;
  isAdmin: boolean;
  logout: () => void;
}

interface SessionControl {
  session: Session | null;
  /** Why the last session ended, shown on the login page. */
  notice: string | null;
  loginWithPassword: (email: string, password: string) => Promise<void>;
  loginWithApiKey: (key: string) => Promise<void>;
}

const SessionContext = createContext<SessionControl | null>(null);

/**
 * The login state. The token (or API key) lives only in memory (api/client.ts): a reload or a
 * new tab asks to log in again, and nothing readable by other scripts stays behind.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const end = useCallback((why: string | null) => {
    setCredentials(null);
    setSession(null);
    setNotice(why);
  }, []);

  const start = useCallback(
    async (creds: Credentials, user?: User) => {
      // a refused API key is a login error, not an expired session: the 401 handler comes after
      setCredentials(creds);
      let me = user;
      try {
        me ??= await ok(api.GET('/api/auth/me'));
      } catch (err) {
        setCredentials(null);
        throw err;
      }
      setCredentials(creds, () => end('Your session has expired: log in again.'));
      const hub = new EventHub();
      setNotice(null);
      setSession({ user: me, hub, isAdmin: me.role === 'admin', logout: () => end(null) });
    },
    [end],
  );

  const loginWithPassword = useCallback(
    async (email: string, password: string) => {
      const res = await ok(api.POST('/api/auth/login', { body: { email, password } }));
      await start({ kind: 'bearer', token: res.token }, res.user);
    },
    [start],
  );

  const loginWithApiKey = useCallback((key: string) => start({ kind: 'api-key', key }), [start]);

  // the stream runs while the session does (started here, not at login, so StrictMode's
  // mount-unmount-mount in development leaves it running)
  useEffect(() => {
    session?.hub.start();
    return () => session?.hub.stop();
  }, [session]);

  const value = useMemo(
    () => ({ session, notice, loginWithPassword, loginWithApiKey }),
    [session, notice, loginWithPassword, loginWithApiKey],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSessionControl(): SessionControl {
  const c = useContext(SessionContext);
  if (!c) throw new Error('useSessionControl outside SessionProvider');
  return c;
}

/** The logged-in session (pages render only inside it). */
export function useSession(): Session {
  const { session } = useSessionControl();
  if (!session) throw new Error('useSession without a session');
  return session;
}
