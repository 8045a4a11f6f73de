import { ValidationError } from '../../../common/errors/app-error';
import type { OutboundMessage } from '../normalized';
import type { UploadFile } from '../provider-adapter';
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

/**
 * A normalized outbound message (not reaction, resolved elsewhere) → engine content. Media goes
 * as bytes (`file`: fetched from `media.url` by the gateway, or uploaded), never as a URL Baileys
 * would fetch itself. Mimetypes: the file's when it is of the message's kind, else WhatsApp's
 * usual one (image/jpeg, video/mp4, audio/mpeg, voice `audio/ogg; codecs=opus`,
 * document application/octet-stream); a document's name is `filename`, else the file's.
 * @throws ValidationError naming `media` when a media type comes without its bytes.
 */
export function toEngineContent(m: OutboundMessage, file?: UploadFile): EngineOutbound {
  const media = (): Buffer => {
    if (!file)
      throw new ValidationError(`A WhatsApp Web ${m.type} needs its media`, [
        { field: 'media', message: 'give media.url or upload the file' },
      ]);
    return file.buffer;
  };
  const mime = (kind: string, fallback: string) =>
    file?.mimeType && (kind === '' || file.mimeType.startsWith(kind)) ? file.mimeType : fallback;
  const caption = m.caption ? { caption: m.caption } : {};
  switch (m.type) {
    case 'text':
      // link previews off unless asked (Baileys needs link-preview-js for them, not installed)
      return m.previewUrl ? { text: m.text ?? '' } : { text: m.text ?? '', linkPreview: null };
    case 'image':
      return { image: media(), mimetype: mime('image/', 'image/jpeg'), ...caption };
    case 'video':
      return { video: media(), mimetype: mime('video/', 'video/mp4'), ...caption };
    case 'audio':
      return { audio: media(), mimetype: mime('audio/', 'audio/mpeg') };
    case 'voice':
      // WhatsApp plays voice notes as ogg/opus
      return { audio: media(), ptt: true, mimetype: mime('audio/', 'audio/ogg; codecs=opus') };
    case 'document': {
      const fileName = m.filename ?? file?.fileName;
      return {
        document: media(),
        mimetype: mime('', 'application/octet-stream'),
        ...(fileName ? { fileName } : {}),
        ...caption,
      };
    }
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
