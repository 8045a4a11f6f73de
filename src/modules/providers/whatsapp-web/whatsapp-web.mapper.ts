import { ValidationError } from '../../../common/errors/app-error';
import type { OutboundMessage } from '../normalized';
import type { EngineOutbound } from './engine';
import { cardToVcard } from './whatsapp-web.normalizer';

/**
 * `to` → a JID: digits with country code (`79001234567`, `+7 900 123-45-67`) become
 * `<digits>@s.whatsapp.net`; a JID (`…@s.whatsapp.net`, `…@lid`, `…@g.us`) is taken as is.
 * @throws ValidationError naming `to`.
 */
export function toJid(to: string, field = 'to'): string {
  const t = to.trim();
  if (/^\d{5,20}(:\d+)?@(s\.whatsapp\.net|lid|g\.us)$/.test(t) || /^\d{5,20}-\d{5,20}@g\.us$/.test(t))
    return t.replace(/:\d+@/, '@');
  if (/^\d+@c\.us$/.test(t)) return t.replace('@c.us', '@s.whatsapp.net');
  const digits = t.replace(/[\s()+-]/g, '');
  if (/^\d{6,15}$/.test(digits)) return `${digits}@s.whatsapp.net`;
  throw new ValidationError(`${field} is not a WhatsApp number or JID`, [
    {
      field,
      message: 'expected digits with country code (79001234567) or a JID (…@s.whatsapp.net, …@lid, …@g.us)',
    },
  ]);
}

/** A normalized outbound message (not reaction, resolved elsewhere) → engine content. */
export function toEngineContent(m: OutboundMessage): EngineOutbound {
  const media = () => ({ url: m.media!.url! });
  const caption = m.caption ? { caption: m.caption } : {};
  switch (m.type) {
    case 'text':
      // link previews off unless asked (Baileys needs link-preview-js for them, not installed)
      return m.previewUrl ? { text: m.text ?? '' } : { text: m.text ?? '', linkPreview: null };
    case 'image':
      return { image: media(), ...caption };
    case 'video':
      return { video: media(), ...caption };
    case 'audio':
      return { audio: media(), mimetype: 'audio/mpeg' };
    case 'voice':
      return { audio: media(), ptt: true, mimetype: 'audio/ogg; codecs=opus' };
    case 'document':
      return {
        document: media(),
        mimetype: 'application/octet-stream',
        ...(m.filename ? { fileName: m.filename } : {}),
        ...caption,
      };
    case 'sticker':
      return { sticker: media() };
    case 'location':
      return {
        location: {
          degreesLatitude: m.latitude!,
          degreesLongitude: m.longitude!,
          ...(m.name ? { name: m.name } : {}),
          ...(m.address ? { address: m.address } : {}),
        },
      };
    case 'contacts': {
      const cards = m.contacts ?? [];
      return {
        contacts: {
          displayName: cards.length === 1 ? cards[0].name : `${cards.length} contacts`,
          contacts: cards.map((c) => ({ displayName: c.name, vcard: cardToVcard(c) })),
        },
      };
    }
    default:
      throw new ValidationError(`WhatsApp Web cannot send type ${m.type}`, [
        { field: 'type', message: `not supported by whatsapp-web` },
      ]);
  }
}
