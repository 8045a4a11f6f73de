/**
 * The normalized message model (DESIGN.md §5). Adapters translate between this and one
 * provider's wire format; everything else in the gateway sees only these shapes.
 */

import type { UploadFile } from './provider-adapter';

export const OUTBOUND_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'voice',
  'document',
  'sticker',
  'location',
  'contacts',
  'template',
  'reaction',
] as const;
export type OutboundType = (typeof OUTBOUND_TYPES)[number];
export const MEDIA_TYPES: readonly OutboundType[] = [
  'image',
  'video',
  'audio',
  'voice',
  'document',
  'sticker',
];

export interface MediaRef {
  /** http(s) URL the provider fetches itself. */
  url?: string;
  /** An id the provider already knows (Telegram `file_id`, Graph media id). */
  providerMediaId?: string;
  /**
   * Gateway-internal, never part of an API body nor stored: the media's bytes already in hand,
   * with their type and name — fetched from `url` by the gateway or taken from an upload
   * (ProviderAdapter.prepareSend, WhatsApp Web).
   */
  file?: UploadFile;
}

/** One phone number of a contact card (WhatsApp `phones[]`, vCard `TEL`). */
export interface ContactPhone {
  /** As written on the card, e.g. `+1 (650) 555-1234`. */
  phone: string;
  /** Free label as the provider or the card gives it: `CELL`, `MAIN`, `IPHONE`, `HOME`, `WORK`, `Cellulare`. */
  type?: string;
  /** WhatsApp id of the number (Cloud API `wa_id`, vCard `TEL;waid=`). */
  waId?: string;
}

/** One e-mail address (WhatsApp `emails[]`, vCard `EMAIL`); `type`: `HOME` / `WORK` or a free label. */
export interface ContactEmail {
  email: string;
  type?: string;
}

/** A web address (WhatsApp `urls[]`, vCard `URL`); `type`: `HOME` / `WORK` or a free label. */
export interface ContactUrl {
  url: string;
  type?: string;
}

/** A postal address (WhatsApp `addresses[]`, vCard `ADR`); every part optional. */
export interface ContactAddress {
  street?: string;
  city?: string;
  state?: string;
  zip?: string;
  country?: string;
  /** ISO 3166-1 alpha-2 (WhatsApp `country_code`; vCard has no field for it). */
  countryCode?: string;
  /** `HOME` / `WORK` or a free label. */
  type?: string;
}

/** Organisation (WhatsApp `org`, vCard `ORG` company;department + `TITLE`). */
export interface ContactOrg {
  company?: string;
  department?: string;
  title?: string;
}

/**
 * A contact card at vCard level (PROVIDERS.md §1.1 `sendContact`, §2.1 `contacts`; RFC 6350).
 * The flat form `{name, phone}` is a card too: `phone` alone means one phone of type `CELL`.
 * Stored and delivered as is (messages.contacts, event `data.contacts[]`).
 */
export interface ContactCard {
  /** Formatted (display) name: WhatsApp `name.formatted_name`, vCard `FN`. */
  name: string;
  firstName?: string;
  lastName?: string;
  middleName?: string;
  /** Honorific prefix, e.g. `Dr.`. */
  prefix?: string;
  /** Honorific suffix, e.g. `Jr.`. */
  suffix?: string;
  /** The first phone number (the flat form); `''` on an inbound card without phones. */
  phone?: string;
  phones?: ContactPhone[];
  emails?: ContactEmail[];
  org?: ContactOrg;
  urls?: ContactUrl[];
  addresses?: ContactAddress[];
  /** `YYYY-MM-DD`. */
  birthday?: string;
  /** The card as vCard text, when the provider sent one (Telegram `vcard`) or the caller gave one. */
  vcard?: string;
}

/** What the API accepts at POST /api/instances/:id/messages (validated by SendMessageDto). */
export interface OutboundMessage {
  /** Provider chat/recipient id (Telegram: chat id or @channelusername). */
  to: string;
  type: OutboundType;
  text?: string;
  /** Show a link preview for the first URL in `text` (default: provider default). */
  previewUrl?: boolean;
  media?: MediaRef;
  caption?: string;
  filename?: string;
  latitude?: number;
  longitude?: number;
  name?: string;
  address?: string;
  contacts?: ContactCard[];
  /** reaction: the message reacted to (our id or the provider's); emoji '' removes the reaction. */
  messageId?: string;
  emoji?: string;
  template?: { name: string; language: string; components?: unknown[] };
  /** Our message id or the provider's. */
  replyTo?: string;
  /** Messenger message tag (e.g. `HUMAN_AGENT`): sent as `messaging_type: MESSAGE_TAG` outside the 24 h window. */
  tag?: string;
}

/**
 * Outbound message after id resolution: `replyTo` / `messageId` are provider message ids
 * (the adapter's own format, e.g. Telegram `<chat_id>:<message_id>` or a bare message_id).
 */
export type ResolvedOutboundMessage = OutboundMessage;

export interface SendResult {
  providerMessageId: string;
  /** Provider chat id the message landed in. */
  providerChatId: string;
  /** ms epoch the provider reports. */
  timestamp: Date;
  raw: Record<string, unknown>;
}

export interface ProviderCapabilities {
  provider: string;
  types: OutboundType[];
  /** Characters. */
  textMaxLength: number;
  captionMaxLength: number;
  mediaByUrl: boolean;
  mediaByProviderId: boolean;
  mediaUpload: boolean;
  reactions: boolean;
  readReceipts: boolean;
  deliveryReceipts: boolean;
  maxContactsPerMessage: number;
  qrLogin: boolean;
  inbound: ('webhook' | 'polling' | 'gateway')[];
}

export interface InboundMedia {
  providerMediaId: string;
  mimeType?: string;
  fileName?: string;
  /** Bytes. */
  size?: number;
  caption?: string;
  width?: number;
  height?: number;
  /** Seconds. */
  duration?: number;
  animated?: boolean;
}

export interface InboundParty {
  id: string;
  name?: string;
  username?: string;
  phone?: string;
  isBot?: boolean;
}

export interface InboundMessage {
  providerMessageId: string;
  chat: { id: string; type: 'private' | 'group' | 'channel'; title?: string };
  from: InboundParty;
  type: string;
  text?: string;
  media?: InboundMedia;
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  contacts?: (ContactCard & { providerContactId?: string })[];
  reaction?: { messageId: string; emoji: string };
  /** Provider message id this one replies to. */
  replyTo?: string;
  forwarded?: boolean;
  /**
   * Sent by our own account outside this gateway (Messenger / Instagram echoes): stored as an
   * outbound `sent` message in chat `chat.id` and announced as `message_sent`, never as received.
   */
  fromMe?: boolean;
  /** Set for edits of an earlier message (same providerMessageId). */
  editedAt?: Date;
  /** For `unsupported`: which provider kind it was. */
  unsupportedKind?: string;
  /** Button / list replies: what was chosen (`type` = provider kind, e.g. `button_reply`). */
  interactive?: { type: string; id?: string; title?: string; description?: string; payload?: string };
  /** The provider's error about this message (e.g. WhatsApp `unsupported` with code 131051). */
  error?: InboundError;
  timestamp: Date;
}

export interface InboundError {
  code?: number | string;
  title?: string;
  message?: string;
  details?: string;
}

/** Delivery states of an outbound message, in the order they can only move forward. */
export const DELIVERY_STATUSES = ['sent', 'delivered', 'read', 'played', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * A provider's report about messages we sent: one message by provider id (WhatsApp `statuses[]`),
 * or every outbound message of a chat up to a watermark (Messenger `delivery` / `read`).
 */
export interface InboundStatus {
  status: DeliveryStatus;
  providerMessageId?: string;
  /** With `providerChatId`: every outbound message sent at or before this time. */
  watermark?: Date;
  providerChatId?: string;
  /** Provider id of the recipient the status is about. */
  recipientId?: string;
  timestamp: Date;
  error?: InboundError;
  /** Provider facts passed through to the `message_status` event (WhatsApp `conversation`, `pricing`). */
  details?: Record<string, unknown>;
}

/** What an adapter makes of one inbound provider event. */
export type InboundResult =
  | { kind: 'message'; message: InboundMessage }
  | { kind: 'status'; status: InboundStatus }
  | { kind: 'skip'; reason: string };

/** Providers without delivery receipts (Telegram) only ever produce these. */
export type MessageOrSkip = Exclude<InboundResult, { kind: 'status' }>;
