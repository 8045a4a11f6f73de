import { backoffDelay, MAX_FAILURES, reconnectPolicy, REPLACED_MIN_DELAY_MS } from './reconnect-policy';

const fresh = { qrShown: 0, failures: 1 };

describe('reconnectPolicy (DisconnectReason table, providers/whatsapp-web.md §2.3)', () => {
  it.each([
    ['515 after pairing: at once', { code: 515, registered: true }, fresh, 'now'],
    [
      '401 logged out: stop, wipe, needs_reauth',
      { code: 401, registered: true },
      fresh,
      'stop:needs_reauth:wipe',
    ],
    [
      '408 unpaired after QRs were shown: QR expired, stop',
      { code: 408, registered: false },
      { qrShown: 6, failures: 1 },
      'stop:disconnected',
    ],
    [
      '408 unpaired, no QR ever shown (unreachable): back off',
      { code: 408, registered: false },
      fresh,
      'backoff',
    ],
    ['408 paired (keep-alive silence): back off', { code: 408, registered: true }, fresh, 'backoff'],
    ['440 replaced: back off ≥ 30 s', { code: 440, registered: true }, fresh, 'backoff:30000'],
    ['428 closed: back off', { code: 428, registered: true }, fresh, 'backoff'],
    ['500 bad session: back off', { code: 500, registered: true }, fresh, 'backoff'],
    ['503 unavailable: back off', { code: 503, registered: true }, fresh, 'backoff'],
    [
      '503 for the tenth time: error',
      { code: 503, registered: true },
      { qrShown: 0, failures: MAX_FAILURES },
      'stop:error',
    ],
    ['403 forbidden: error', { code: 403, registered: true }, fresh, 'stop:error'],
    ['405 version rejected: error naming the version', { code: 405, registered: false }, fresh, 'stop:error'],
    ['411 multidevice mismatch: error', { code: 411, registered: true }, fresh, 'stop:error'],
    ['our own stop: never reconnect', { registered: true, intentional: true }, fresh, 'stop:disconnected'],
  ])('%s', (_name, close, history, expected) => {
    const a = reconnectPolicy({ reason: 'x', ...close }, history);
    const got =
      a.action === 'stop'
        ? `stop:${a.status}${a.wipe ? ':wipe' : ''}`
        : a.action === 'backoff' && a.minDelayMs
          ? `backoff:${a.minDelayMs}`
          : a.action;
    expect(got).toBe(expected);
  });

  it('405 says what to change', () => {
    const a = reconnectPolicy({ code: 405, reason: 'x', registered: false }, fresh);
    expect(a).toMatchObject({ action: 'stop', reason: expect.stringContaining('WHATSAPP_WEB_VERSION') });
  });

  it('440 waits at least REPLACED_MIN_DELAY_MS whatever the attempt', () => {
    const a = reconnectPolicy({ code: 440, reason: 'x', registered: true }, fresh);
    expect(a.action === 'backoff' && backoffDelay(1, { minMs: a.minDelayMs, random: () => 0 })).toBe(
      REPLACED_MIN_DELAY_MS,
    );
  });
});

describe('backoffDelay', () => {
  it('doubles from 1 s to the 60 s cap, half fixed and half jitter', () => {
    const lo = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, { random: () => 0 }));
    const hi = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, { random: () => 1 }));
    expect(lo).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(hi).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  });

  it('never returns 0 (no reconnect storm)', () => {
    for (let i = 0; i < 100; i++) expect(backoffDelay(1)).toBeGreaterThanOrEqual(500);
  });
});
