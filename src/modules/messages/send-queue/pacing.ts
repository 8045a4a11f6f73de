import { Injectable } from '@nestjs/common';
import { RedisService } from '../../../common/redis/redis.service';
import type { ProviderAdapter, SendPacingRule } from '../../providers/provider-adapter';

/** Gaps are widened by this much so network jitter does not bunch two sends under a provider's limit. */
const MARGIN = 1.05;

/** One pacing bucket: a Redis key and the least gap between two sends through it, ms. */
export interface PacingSlot {
  key: string;
  gapMs: number;
}

/** Rounded up to whole ms (to 1 µs first, so 1000 × 1.05 is 1050, not 1051). */
const ceilMs = (ms: number) => Math.ceil(Math.round(ms * 1000) / 1000);

/**
 * The Redis buckets of one send from its adapter's `sendPacing` rules (each provider's documented
 * limits live in its own folder), each gap widened by the margin.
 */
export function pacingSlots(rules: SendPacingRule[], instanceId: string, chatId: string): PacingSlot[] {
  return rules.map((rule) => ({
    key: `${rule.scope === 'chat' ? `chat:${chatId}` : `instance:${instanceId}`}${rule.bucket ? `:${rule.bucket}` : ''}`,
    gapMs: ceilMs(rule.gapMs * MARGIN),
  }));
}

/**
 * Reserves the earliest time every bucket allows: t = max(now, next of each bucket), then moves
 * each bucket's next to t + its gap. Redis time, so every worker process paces against one clock.
 * Returns t - now (ms to wait before sending).
 */
const RESERVE = `
local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
local t = now
for i = 1, #KEYS do
  local n = tonumber(redis.call('GET', KEYS[i]) or '0')
  if n > t then t = n end
end
for i = 1, #KEYS do
  local g = tonumber(ARGV[i])
  redis.call('SET', KEYS[i], string.format('%d', t + g), 'PX', t + g - now + 60000)
end
return t - now`;

/** Pushes a bucket's next send to at least now + ARGV[1] ms (a provider 429's Retry-After). */
const HOLD = `
local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
local until_ = now + tonumber(ARGV[1])
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > n then redis.call('SET', KEYS[1], string.format('%d', until_), 'PX', tonumber(ARGV[1]) + 60000) end
return 1`;

/** Per-provider pacing of async sends on the shared Redis (keys `<prefix>:pace:<bucket>`). */
@Injectable()
export class SendPacer {
  constructor(private readonly redis: RedisService) {}

  /** The buckets of one send (see {@link pacingSlots}). */
  slots(adapter: ProviderAdapter, instanceId: string, chatId: string, providerChatId: string, type: string) {
    return pacingSlots(adapter.sendPacing?.({ providerChatId, type }) ?? [], instanceId, chatId);
  }

  /** Reserves a send slot; @returns ms to wait before sending (0 = now). */
  async reserve(slots: PacingSlot[]): Promise<number> {
    if (slots.length === 0) return 0;
    const wait = await this.redis.client.eval(
      RESERVE,
      slots.length,
      ...slots.map((s) => this.redis.key('pace', s.key)),
      ...slots.map((s) => String(s.gapMs)),
    );
    return Number(wait);
  }

  /** After a provider 429: nothing goes through `slot` for `ms` (the provider's Retry-After). */
  async hold(slot: PacingSlot, ms: number): Promise<void> {
    await this.redis.client.eval(HOLD, 1, this.redis.key('pace', slot.key), String(Math.ceil(ms)));
  }
}
