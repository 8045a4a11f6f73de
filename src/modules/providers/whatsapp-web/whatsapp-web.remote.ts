import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { AppError } from '../../../common/errors/app-error';
import { RedisService } from '../../../common/redis/redis.service';
import type { EngineOutbound, RawKey, RawWAMessage } from './engine';

/** What another process may ask of the socket this process holds. */
export type RemoteCall =
  | { op: 'send'; jid: string; content: EngineOutbound; quoted?: RawWAMessage }
  | { op: 'markRead'; keys: RawKey[] }
  | { op: 'presence'; jid: string; presence: 'composing' | 'paused' | 'available' | 'unavailable' }
  | { op: 'lookup'; phones: string[] }
  | { op: 'pairingCode'; phone: string }
  | { op: 'download'; raw: RawWAMessage }
  | { op: 'logout' };

interface Request {
  id: string;
  replyTo: string;
  call: RemoteCall;
}

interface Reply {
  id: string;
  ok: boolean;
  value?: unknown;
  error?: { status: number; code: string; message: string; extra?: Record<string, unknown> };
}

/** How long a caller waits for the holder's answer, ms (sends: the 10 s contract). */
export const REMOTE_TIMEOUT_MS = 10_000;

/**
 * Reaches the socket of an instance held by another gateway process (APP_ROLE=api in front of
 * workers): Redis pub/sub, one channel per held instance (`<prefix>:waweb:rpc:<instanceId>`,
 * subscribed only while the socket is open), replies on the caller's own channel. PUBLISH tells
 * how many processes hold the instance: 0 answers at once (not connected), never a hang.
 * Media travels base64 in the reply (WhatsApp media is ≤ 100 MB; Redis' 512 MB limit applies).
 */
@Injectable()
export class WhatsAppWebRemote implements OnModuleDestroy {
  private readonly logger = new Logger(WhatsAppWebRemote.name);
  private sub?: Redis;
  private readonly replyChannel: string;
  private readonly pending = new Map<string, { resolve: (r: Reply) => void; timer: NodeJS.Timeout }>();
  private readonly handlers = new Map<string, (call: RemoteCall) => Promise<unknown>>();
  private ready?: Promise<void>;

  constructor(private readonly redis: RedisService) {
    this.replyChannel = redis.key('waweb', 'reply', redis.owner);
  }

  private channel(instanceId: string): string {
    return this.redis.key('waweb', 'rpc', instanceId);
  }

  private subscriber(): Promise<void> {
    this.ready ??= (async () => {
      const sub = this.redis.client.duplicate();
      sub.on('error', (err) =>
        this.logger.warn({ err: err.message }, 'WhatsApp Web RPC subscriber: Redis error'),
      );
      sub.on('message', (channel: string, message: string) => void this.onMessage(channel, message));
      this.sub = sub;
      await sub.subscribe(this.replyChannel);
    })();
    return this.ready;
  }

  /** This process holds `instanceId`'s socket: answer other processes' calls with `handler`. */
  async serve(instanceId: string, handler: (call: RemoteCall) => Promise<unknown>): Promise<void> {
    await this.subscriber();
    this.handlers.set(instanceId, handler);
    await this.sub!.subscribe(this.channel(instanceId));
  }

  async unserve(instanceId: string): Promise<void> {
    this.handlers.delete(instanceId);
    await this.sub?.unsubscribe(this.channel(instanceId)).catch(() => undefined);
  }

  /**
   * Runs `call` on the process holding the instance's socket.
   * @returns undefined when no process holds it (the caller answers 409).
   * @throws the holder's AppError as is; AppError 503 `provider_timeout` after REMOTE_TIMEOUT_MS.
   */
  async call(instanceId: string, call: RemoteCall): Promise<{ value: unknown } | undefined> {
    await this.subscriber();
    const id = randomUUID();
    const reply = new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({
          id,
          ok: false,
          error: {
            status: 503,
            code: 'provider_timeout',
            message: `the gateway process holding WhatsApp Web instance ${instanceId} did not answer within ${REMOTE_TIMEOUT_MS / 1000} s`,
          },
        });
      }, REMOTE_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer });
    });
    const request: Request = { id, replyTo: this.replyChannel, call };
    const receivers = await this.redis.client.publish(
      this.channel(instanceId),
      JSON.stringify(request, bufferReplacer),
    );
    if (receivers === 0) {
      const p = this.pending.get(id);
      if (p) clearTimeout(p.timer);
      this.pending.delete(id);
      return undefined;
    }
    const r = await reply;
    if (!r.ok) throw new AppError(r.error!.status, r.error!.code, r.error!.message, r.error!.extra ?? {});
    return { value: r.value };
  }

  async onModuleDestroy(): Promise<void> {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    if (this.sub) await this.sub.quit().catch(() => this.sub?.disconnect());
  }

  private async onMessage(channel: string, message: string): Promise<void> {
    if (channel === this.replyChannel) {
      const r = JSON.parse(message) as Reply;
      const p = this.pending.get(r.id);
      if (!p) return;
      clearTimeout(p.timer);
      this.pending.delete(r.id);
      p.resolve(r);
      return;
    }
    const req = JSON.parse(message, bufferReviver) as Request;
    const instanceId = channel.slice(channel.lastIndexOf(':') + 1);
    const handler = this.handlers.get(instanceId);
    let reply: Reply;
    try {
      if (!handler)
        throw new AppError(
          409,
          'instance_not_connected',
          `WhatsApp Web instance ${instanceId} is not connected`,
        );
      let value = await handler(req.call);
      if (value instanceof Readable) value = { base64: (await streamToBuffer(value)).toString('base64') };
      reply = { id: req.id, ok: true, value };
    } catch (err) {
      const e = err as AppError;
      reply = {
        id: req.id,
        ok: false,
        error:
          e instanceof AppError
            ? { status: e.status, code: e.code, message: e.message, extra: e.extra }
            : { status: 502, code: 'provider_error', message: `WhatsApp Web: ${(err as Error).message}` },
      };
    }
    await this.redis.client.publish(req.replyTo, JSON.stringify(reply));
  }
}

async function streamToBuffer(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** Buffers (media to send) as `{$buffer: base64}` on the wire. */
function bufferReplacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  return Buffer.isBuffer(raw) ? { $buffer: raw.toString('base64') } : value;
}

function bufferReviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && typeof (value as { $buffer?: unknown }).$buffer === 'string')
    return Buffer.from((value as { $buffer: string }).$buffer, 'base64');
  return value;
}
