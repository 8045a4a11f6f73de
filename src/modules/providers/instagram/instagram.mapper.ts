import type { OutboundMessage } from '../normalized';

const ATTACHMENT_TYPES: Record<string, string> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  document: 'file',
};

/** The sticker Instagram accepts: `media.providerMediaId = "like_heart"`. */
export const LIKE_HEART = 'like_heart';

/**
 * The normalized outbound message → an Instagram Send API body (PROVIDERS.md §4.1; Meta:
 * instagram-platform/instagram-api-with-instagram-login/messaging-api): text, media by URL
 * (`file` for documents), the `like_heart` sticker, and the `love` reaction (`unreact` for an empty
 * emoji). A `tag` becomes `messaging_type: MESSAGE_TAG`.
 */
export function toInstagramBody(m: OutboundMessage): Record<string, unknown> {
  const recipient = { recipient: { id: m.to } };
  if (m.type === 'reaction') {
    return m.emoji
      ? { ...recipient, sender_action: 'react', payload: { message_id: m.messageId, reaction: 'love' } }
      : { ...recipient, sender_action: 'unreact', payload: { message_id: m.messageId } };
  }
  const tag = m.tag ? { messaging_type: 'MESSAGE_TAG', tag: m.tag } : {};
  if (m.type === 'text') return { ...recipient, ...tag, message: { text: m.text ?? '' } };
  if (m.type === 'sticker') return { ...recipient, ...tag, message: { attachment: { type: LIKE_HEART } } };
  return {
    ...recipient,
    ...tag,
    message: { attachment: { type: ATTACHMENT_TYPES[m.type], payload: { url: m.media?.url } } },
  };
}
