import type { OutboundMessage } from '../normalized';

const ATTACHMENT_TYPES: Record<string, string> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  document: 'file',
};

/**
 * The normalized outbound message → a Send API body (PROVIDERS.md §3.1; Meta:
 * messenger-platform/reference/send-api, send-messages/sender-actions). `messaging_type` is
 * `RESPONSE` unless a `tag` is given (`MESSAGE_TAG` + `tag`); media go by `url` (`is_reusable`)
 * or `attachment_id`; a reaction is the `react` sender action, an empty emoji `unreact`.
 */
export function toSendApiBody(m: OutboundMessage): Record<string, unknown> {
  const recipient = { recipient: { id: m.to } };
  if (m.type === 'reaction') {
    return m.emoji
      ? { ...recipient, sender_action: 'react', payload: { message_id: m.messageId, reaction: m.emoji } }
      : { ...recipient, sender_action: 'unreact', payload: { message_id: m.messageId } };
  }
  const messaging = m.tag ? { messaging_type: 'MESSAGE_TAG', tag: m.tag } : { messaging_type: 'RESPONSE' };
  if (m.type === 'text') return { ...recipient, ...messaging, message: { text: m.text ?? '' } };
  const payload = m.media?.providerMediaId
    ? { attachment_id: m.media.providerMediaId }
    : { url: m.media?.url, is_reusable: true };
  return { ...recipient, ...messaging, message: { attachment: { type: ATTACHMENT_TYPES[m.type], payload } } };
}
