import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { RedisService } from '../../../common/redis/redis.service';

/** Gaps are widened by this much so network jitter does not bunch two sends under a provider's limit. */
const MARGIN = 1.05;

/** One pacing bucket: a Redis key and the least gap between two sends through it, ms. */
export interface PacingSlot {
  key: string;
  gapMs: number;
}

/** Rounded up to whole ms (to 1 µs first, so 1000 × 1.05 is 1050, not 1051). */
const ceilMs = (ms: number) => Math.ceil(Math.round(ms * 1000) / 1000);
const perSecond = (n: number) => ceilMs((1000 / n) * MARGIN);
const gap = (ms: number) => ceilMs(ms * MARGIN);

/**
 * The pacing buckets a send passes through, from each provider's documented limits (PROVIDERS.md):
 * - Telegram: ≤ 30 messages/s per bot, ≤ 1/s per chat, ≤ 20/min per group (negative chat ids);
 * - WhatsApp Cloud: the number's throughput, SEND_WHATSAPP_MESSAGES_PER_SECOND (Meta's default 80/s);
 * - Messenger / Instagram: 300 calls/s per Page/account for text, links, reactions and stickers,
 *   10/s for audio and video;
 * - Slack: chat.postMessage ≈ 1/s per channel;
 * - Discord: 50 requests/s per bot (global); per-route limits are learnt from 429 `Retry-After`;
 * - WhatsApp Web: SEND_WHATSAPP_WEB_CHAT_GAP_MS per chat.
 * Other providers are not paced (their 429s are still retried at Retry-After).
 */
export function pacingSlots(
  config: AppConfig['send'],
  provider: string,
  instanceId: string,
  chatId: string,
  providerChatId: string,
  type: string,
): PacingSlot[] {
  const bot = (suffix = '') => `instance:${instanceId}${suffix}`;
  const chat = `chat:${chatId}`;
  switch (provider) {
    case 'telegram':
      return [
        { key: bot(), gapMs: perSecond(30) },
        { key: chat, gapMs: providerChatId.startsWith('-') ? gap(60_000 / 20) : gap(1000) },
      ];
    case 'whatsapp-official':
      return [{ key: bot(), gapMs: perSecond(config.whatsappMessagesPerSecond) }];
    case 'facebook-messenger':
    case 'instagram':
      return type === 'audio' || type === 'video'
        ? [
            { key: bot(), gapMs: perSecond(300) },
            { key: bot(':audio-video'), gapMs: perSecond(10) },
          ]
        : [{ key: bot(), gapMs: perSecond(300) }];
    case 'slack':
      return [{ key: chat, gapMs: gap(1000) }];
    case 'discord':
      return [{ key: bot(), gapMs: perSecond(50) }];
    case 'whatsapp-web':
      return [{ key: chat, gapMs: config.whatsappWebChatGapMs }];
    default:
      return [];
  }
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
  constructor(
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  /** The buckets of one send (see {@link pacingSlots}). */
  slots(provider: string, instanceId: string, chatId: string, providerChatId: string, type: string) {
    return pacingSlots(this.config.send, provider, instanceId, chatId, providerChatId, type);
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
