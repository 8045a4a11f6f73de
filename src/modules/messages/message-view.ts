import type { ChatEntity } from './chat.entity';
import type { MessageEntity } from './message.entity';

/**
 * A message as the API returns it: our normalized fields plus the seeds' names
 * (remoteJid, fromMe, messageType, content, messageId, hasMedia, ...) for existing clients.
 */
export function toMessageView(m: MessageEntity, chat?: Pick<ChatEntity, 'providerChatId'> | null) {
  const media = (m.media ?? null) as {
    providerMediaId?: string;
    mimeType?: string;
    fileName?: string;
    caption?: string;
    url?: string;
  } | null;
  return {
    id: m.id,
    instanceId: m.instanceId,
    chatId: m.chatId,
    providerChatId: chat?.providerChatId ?? null,
    direction: m.direction,
    providerMessageId: m.providerMessageId,
    type: m.type,
    text: m.text,
    media: m.media,
    location: m.location,
    contacts: m.contacts,
    reaction: m.reaction,
    replyTo: m.replyTo,
    from: m.sender,
    status: m.status,
    error: m.error,
    timestamp: m.providerTimestamp,
    editedAt: m.editedAt,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    statusUpdatedAt: m.statusUpdatedAt,
    // seeds' names
    remoteJid: chat?.providerChatId ?? null,
    fromMe: m.direction === 'out',
    messageType: m.type,
    content: m.text,
    messageId: m.providerMessageId,
    hasMedia: !!media,
    mediaUrl: media?.url ?? null,
    caption: media?.caption ?? null,
    mimeType: media?.mimeType ?? null,
    fileName: media?.fileName ?? null,
    metadata: { timestamp: m.providerTimestamp ? Math.floor(m.providerTimestamp.getTime() / 1000) : null },
  };
}
