/** Property names whose values never reach a log line: provider credentials, passwords, webhook secrets. */
export const SECRET_KEYS: readonly string[] = [
  'botToken',
  'accessToken',
  'pageAccessToken',
  'appSecret',
  'metaAppSecret',
  'webhookVerifyToken',
  'password',
  'webhookSecret',
  'secret',
  // Slack (signing secret, Socket Mode app-level token), API keys and bare tokens
  'signingSecret',
  'appToken',
  'apiKey',
  'token',
];

/** What a secret's value is replaced with. */
export const REDACTED = '[redacted]';

/** `value` with its SECRET_KEYS properties redacted, copied; the same object when it holds none. */
function withoutSecrets<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  let copy: Record<string, unknown> | null = null;
  for (const key of SECRET_KEYS) {
    if (Object.hasOwn(value, key)) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = REDACTED;
    }
  }
  return (copy ?? value) as T;
}

/**
 * A log line's object with every SECRET_KEYS value replaced by `[redacted]`, at its top level and
 * one level down (`{ config: { botToken } }`): what pino's `*.botToken` redaction paths covered, at
 * a fraction of their cost (issue 11: @pinojs/redact re-parsed every path and cloned on every line,
 * a tenth of a request's CPU). Objects are copied only when they hold a secret, so the caller's
 * are never changed. Keys in `skip` are left alone (their serializers produce fixed, safe shapes).
 */
export function redactSecrets<T extends object>(obj: T, skip: ReadonlySet<string> = NO_KEYS): T {
  let out: Record<string, unknown> | null = null;
  for (const key in obj) {
    if (!Object.hasOwn(obj, key) || skip.has(key)) continue;
    const value = (obj as Record<string, unknown>)[key];
    const clean = SECRET_KEYS.includes(key) ? REDACTED : withoutSecrets(value);
    if (clean !== value) {
      out ??= { ...(obj as Record<string, unknown>) };
      out[key] = clean;
    }
  }
  return (out ?? obj) as T;
}

const NO_KEYS: ReadonlySet<string> = new Set();
