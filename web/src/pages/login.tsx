import { useState, type FormEvent } from 'react';
import { ErrorNotice } from '../components/ui';
import { useTitle } from '../title';
import { useSessionControl } from '../session';

/**
 * Email and password (a JWT), or an API key for scripts and automation. Either is kept in memory
 * only: reloading the page logs out.
 */
export function LoginPage() {
  useTitle('Log in');
  const { loginWithPassword, loginWithApiKey, notice } = useSessionControl();
  const [mode, setMode] = useState<'password' | 'api-key'>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'password') await loginWithPassword(email, password);
      else await loginWithApiKey(key.trim());
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <main id="main" className="login">
      <h1>Switchboard</h1>
      <p className="muted">Log in to manage instances, answer chats and follow webhook deliveries.</p>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <div className="tabs" role="group" aria-label="Log in with">
        <button type="button" aria-pressed={mode === 'password'} onClick={() => setMode('password')}>
          Email and password
        </button>
        <button type="button" aria-pressed={mode === 'api-key'} onClick={() => setMode('api-key')}>
          API key
        </button>
      </div>
      <form onSubmit={submit} className="card stack">
        {mode === 'password' ? (
          <>
            <label>
              Email
              <input
                type="email"
                autoComplete="username"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
              />
            </label>
            <label>
              Password
              <input
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
          </>
        ) : (
          <label>
            API key
            <input
              type="password"
              autoComplete="off"
              required
              value={key}
              onChange={(e) => setKey(e.target.value)}
              aria-describedby="key-help"
            />
            <small id="key-help" className="muted">
              Sent as <code>x-api-key</code>; create keys with <code>POST /api/auth/api-keys</code>.
            </small>
          </label>
        )}
        <ErrorNotice error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <p className="muted small">Your session lives in this tab only: reloading the page logs you out.</p>
    </main>
  );
}
