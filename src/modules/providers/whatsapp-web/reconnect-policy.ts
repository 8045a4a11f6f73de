import type { EngineClose } from './engine';

/**
 * What to do after a WhatsApp Web socket closed (providers/whatsapp-web.md §2.3), as a pure
 * function of the close and what this connection saw:
 * - 515 restartRequired (right after pairing): reconnect at once with the saved creds.
 * - 401 loggedOut: wipe the auth state, `needs_reauth`, never reconnect.
 * - 408 while unpaired after QR codes were shown: they ran out; stop until `reconnect`.
 *   408 with no QR shown (socket never opened, WhatsApp silent, unreachable network), or when
 *   paired: back off and retry.
 * - 440 connectionReplaced: another socket on the same creds; back off ≥ 30 s, never fight.
 * - 403 forbidden, 411 multideviceMismatch, 402, 406: terminal `error`.
 * - 405: WA Web version rejected; terminal `error` saying to update WHATSAPP_WEB_VERSION / Baileys.
 * - 428, 500, 503 and anything else: back off; after MAX_FAILURES consecutive failures, `error`.
 */
export type ReconnectAction =
  | { action: 'now'; reason: string }
  | { action: 'backoff'; reason: string; minDelayMs?: number }
  | { action: 'stop'; status: 'needs_reauth' | 'disconnected' | 'error'; reason: string; wipe?: boolean };

export interface PolicyHistory {
  /** QR codes shown during this socket's life. */
  qrShown: number;
  /** Consecutive closes without a successful `open` in between. */
  failures: number;
}

/** Consecutive failed attempts after which 500/503 stop with status `error`. */
export const MAX_FAILURES = 10;
/** Least delay after a 440 (fazer-ai/baileys-api#309: sleep 30 s). */
export const REPLACED_MIN_DELAY_MS = 30_000;

export function reconnectPolicy(close: EngineClose, h: PolicyHistory): ReconnectAction {
  if (close.intentional) return { action: 'stop', status: 'disconnected', reason: close.reason };
  const code = close.code;
  switch (code) {
    case 515:
      return { action: 'now', reason: 'restart_required' };
    case 401:
      return {
        action: 'stop',
        status: 'needs_reauth',
        wipe: true,
        reason: 'logged_out: the device was unlinked on the phone; link again by QR or pairing code',
      };
    case 408:
      if (!close.registered && h.qrShown > 0)
        return {
          action: 'stop',
          status: 'disconnected',
          reason: 'qr_expired: no QR code was scanned in time; POST …/reconnect for new ones',
        };
      return { action: 'backoff', reason: 'timed_out' };
    case 440:
      return {
        action: 'backoff',
        reason: 'connection_replaced: another session uses these credentials',
        minDelayMs: REPLACED_MIN_DELAY_MS,
      };
    case 403:
      return { action: 'stop', status: 'error', reason: 'forbidden: WhatsApp refused this account (403)' };
    case 405:
      return {
        action: 'stop',
        status: 'error',
        reason:
          'version_rejected: WhatsApp rejected the WA Web version (405); set WHATSAPP_WEB_VERSION or update Baileys',
      };
    case 411:
      return { action: 'stop', status: 'error', reason: 'multidevice_mismatch (411)' };
    case 402:
    case 406:
      return { action: 'stop', status: 'error', reason: `refused by WhatsApp (${code})` };
    default:
      if (h.failures >= MAX_FAILURES)
        return {
          action: 'stop',
          status: 'error',
          reason: `${close.reason} (${code ?? 'no code'}) ${h.failures} times in a row`,
        };
      return { action: 'backoff', reason: close.reason };
  }
}

/**
 * Capped exponential backoff with full jitter: attempt 1 → up to 1 s, doubling to `capMs`.
 * `random` is injectable for tests. Result in ms.
 */
export function backoffDelay(
  attempt: number,
  o: { baseMs?: number; capMs?: number; minMs?: number; random?: () => number } = {},
): number {
  const base = o.baseMs ?? 1000;
  const cap = o.capMs ?? 60_000;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  // half fixed, half jitter: never 0 (no storm), never in lockstep
  const delay = ceiling / 2 + (o.random ?? Math.random)() * (ceiling / 2);
  return Math.max(o.minMs ?? 0, Math.round(delay));
}
