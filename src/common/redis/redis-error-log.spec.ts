import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { isRedisConnectionError, RedisErrorLog } from './redis-error-log';

const socketError = (code: string) => Object.assign(new Error(`read ${code}`), { code });

describe('RedisErrorLog', () => {
  const calls: [string, unknown, string][] = [];
  const logger = {
    warn: (o: unknown, m: string) => calls.push(['warn', o, m]),
    debug: (o: unknown, m: string) => calls.push(['debug', o, m]),
    log: (o: unknown, m: string) => calls.push(['log', o, m]),
    error: (o: unknown, m: string) => calls.push(['error', o, m]),
  } as unknown as Logger;

  beforeEach(() => (calls.length = 0));

  it('warns once per outage, logs reconnect attempts at debug and the recovery with its length', () => {
    const client = new EventEmitter();
    new RedisErrorLog(logger, 'shared client').watch(client);
    client.emit('error', socketError('ECONNRESET'));
    client.emit('error', socketError('ECONNREFUSED'));
    client.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    client.emit('ready');
    client.emit('ready');
    client.emit('error', socketError('ECONNRESET'));
    expect(calls.map(([level, , msg]) => [level, msg])).toEqual([
      ['warn', 'Redis connection lost; reconnecting'],
      ['debug', 'Redis still unreachable'],
      ['debug', 'Redis still unreachable'],
      ['log', 'Redis connection restored'],
      ['warn', 'Redis connection lost; reconnecting'],
    ]);
    expect(calls[0][1]).toEqual({ connection: 'shared client', err: 'read ECONNRESET' });
    expect(calls[3][1]).toEqual({ connection: 'shared client', downMs: expect.any(Number) });
  });

  it('logs other errors (a failed command, a script error) as errors', () => {
    const log = new RedisErrorLog(logger, 'queue webhook-delivery');
    const err = new Error('ERR Error running script: attempt to compare nil with number');
    log.error(err);
    expect(calls).toEqual([['error', { err, connection: 'queue webhook-delivery' }, 'Redis error']]);
  });

  it('tells connection errors from the others', () => {
    expect(isRedisConnectionError(socketError('ETIMEDOUT'))).toBe(true);
    expect(isRedisConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isRedisConnectionError(new Error('OOM command not allowed when used memory > maxmemory'))).toBe(
      false,
    );
    expect(isRedisConnectionError(undefined)).toBe(false);
  });
});
