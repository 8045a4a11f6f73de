import type { NatsAdd, NatsArchivedItem, NatsMapping } from '../nats-mapping';
import { isObject } from '../payload-shape';

/** Telegram message kinds, in the order the first present one names `.in.message.<type>`. */
const TELEGRAM_TYPES = [
  'text',
  'photo',
  'video',
  'animation',
  'audio',
  'voice',
  'video_note',
  'document',
  'sticker',
  'location',
  'venue',
  'contact',
  'poll',
  'dice',
];

/**
 * Telegram's NATS subjects, `telegram.<slug>.in.*`: the archive keeps the Update; `.in.webhook` is
 * the Update, `.in.message[.<type>]` its `message` / `channel_post` / `business_message` object
 * (edits and other update kinds: only `.in.webhook`).
 */
export const TELEGRAM_NATS: NatsMapping = {
  subjectToken: 'telegram',

  inboundMessages({ payload: update }: NatsArchivedItem, add: NatsAdd): void {
    add('webhook', update);
    const msg = [update.message, update.channel_post, update.business_message].find(isObject);
    if (!msg) return;
    add('message', msg);
    const type = TELEGRAM_TYPES.find((k) => msg[k] !== undefined);
    if (type) add(`message.${type}`, msg);
  },
};
