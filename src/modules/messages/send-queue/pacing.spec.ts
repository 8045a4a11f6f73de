import { pacingSlots } from './pacing';

const config = {
  concurrency: 50,
  whatsappMessagesPerSecond: 80,
  whatsappWebChatGapMs: 1500,
  sweepIntervalMs: 30_000,
};
const slots = (provider: string, providerChatId = '424242', type = 'text') =>
  pacingSlots(config, provider, 'i1', 'c1', providerChatId, type);

describe('pacingSlots (provider limits of async sends, PROVIDERS.md)', () => {
  it('Telegram: 30/s per bot and 1/s per private chat, with a 5 % margin', () => {
    expect(slots('telegram')).toEqual([
      { key: 'instance:i1', gapMs: 35 },
      { key: 'chat:c1', gapMs: 1050 },
    ]);
  });

  it('Telegram groups (negative chat ids): 20/min', () => {
    expect(slots('telegram', '-1001234567890')[1]).toEqual({ key: 'chat:c1', gapMs: 3150 });
  });

  it('WhatsApp Cloud: the configured throughput per number, no per-chat gap', () => {
    expect(slots('whatsapp-official')).toEqual([{ key: 'instance:i1', gapMs: 14 }]);
  });

  it('Messenger / Instagram: 300/s, audio and video also 10/s', () => {
    expect(slots('facebook-messenger')).toEqual([{ key: 'instance:i1', gapMs: 4 }]);
    expect(slots('instagram', 'x', 'video')).toEqual([
      { key: 'instance:i1', gapMs: 4 },
      { key: 'instance:i1:audio-video', gapMs: 105 },
    ]);
  });

  it('Slack 1/s per channel, Discord 50/s per bot, WhatsApp Web its configured chat gap, others unpaced', () => {
    expect(slots('slack')).toEqual([{ key: 'chat:c1', gapMs: 1050 }]);
    expect(slots('discord')).toEqual([{ key: 'instance:i1', gapMs: 21 }]);
    expect(slots('whatsapp-web')).toEqual([{ key: 'chat:c1', gapMs: 1500 }]);
    expect(slots('carrier-pigeon')).toEqual([]);
  });
});
