import type { PathItemObject, SchemaObject } from '@nestjs/swagger';
import { EVENT_TYPES } from './event-types';
import type { EventType } from './event-types';
import { PROVIDER_KEYS } from '../providers/providers.module';

/**
 * OpenAPI schemas of the event envelope and of each event's `data`, as recorded in the outbox and
 * sent to webhooks, the SSE stream and GET …/events (DESIGN.md §4). Published as components and
 * as the document's OpenAPI 3.1 `webhooks` section (one entry per event name).
 */

const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` }) as SchemaObject;
const nullable = (s: SchemaObject): SchemaObject => ({ anyOf: [s, { type: 'null' }] });
const str = (description?: string): SchemaObject => ({
  type: 'string',
  ...(description ? { description } : {}),
});
const nstr = (description?: string): SchemaObject => ({
  type: ['string', 'null'],
  ...(description ? { description } : {}),
});
const unixSeconds: SchemaObject = { type: 'integer', description: 'Unix time, seconds' };
const uuid = (description?: string): SchemaObject => ({ ...str(description), format: 'uuid' });

const SHARED: Record<string, SchemaObject> = {
  EventChat: {
    type: 'object',
    description: 'The provider chat',
    required: ['id', 'type'],
    properties: {
      id: str("The provider's chat id"),
      type: { type: 'string', enum: ['private', 'group', 'channel'] },
      title: str(),
    },
  },
  EventParty: {
    type: 'object',
    description: 'The sender as the provider names them',
    required: ['id'],
    properties: {
      id: str("The provider's user id (Telegram user id, WhatsApp phone or BSUID, PSID, IGSID)"),
      name: str(),
      username: str(),
      phone: str(),
      isBot: { type: 'boolean' },
    },
  },
  EventMedia: {
    type: 'object',
    description: 'Media of a message; download inbound media with GET …/messages/{messageId}/media',
    properties: {
      providerMediaId: str("The provider's media id"),
      url: str('Outbound media sent by URL'),
      mimeType: str(),
      fileName: str(),
      size: { type: 'integer', description: 'bytes' },
      caption: str(),
      width: { type: 'integer' },
      height: { type: 'integer' },
      duration: { type: 'number', description: 'seconds' },
      animated: { type: 'boolean' },
    },
  },
  EventLocation: {
    type: 'object',
    required: ['latitude', 'longitude'],
    properties: {
      latitude: { type: 'number' },
      longitude: { type: 'number' },
      name: str(),
      address: str(),
    },
  },
  EventContactCard: {
    type: 'object',
    description:
      'A contact card at vCard level (flat {name, phone} when that is all it has); see PROVIDERS.md §1.1, §2.1',
    required: ['name', 'phone'],
    properties: {
      name: str('Formatted (display) name: WhatsApp name.formatted_name, vCard FN'),
      firstName: str(),
      lastName: str(),
      middleName: str(),
      prefix: str('Honorific prefix, e.g. Dr.'),
      suffix: str('Honorific suffix, e.g. Jr.'),
      phone: str('The first phone number; empty when the card has none'),
      phones: {
        type: 'array',
        items: {
          type: 'object',
          required: ['phone'],
          properties: {
            phone: str(),
            type: str('CELL, MAIN, IPHONE, HOME, WORK or a free label'),
            waId: str('WhatsApp id of the number (wa_id, vCard TEL;waid=)'),
          },
        },
      },
      emails: {
        type: 'array',
        items: {
          type: 'object',
          required: ['email'],
          properties: { email: str(), type: str('HOME, WORK or a free label') },
        },
      },
      org: {
        type: 'object',
        properties: { company: str(), department: str(), title: str('Job title') },
      },
      urls: {
        type: 'array',
        items: {
          type: 'object',
          required: ['url'],
          properties: { url: str(), type: str('HOME, WORK or a free label') },
        },
      },
      addresses: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            street: str(),
            city: str(),
            state: str(),
            zip: str(),
            country: str(),
            countryCode: str('ISO 3166-1 alpha-2'),
            type: str('HOME, WORK or a free label'),
          },
        },
      },
      birthday: str('YYYY-MM-DD'),
      vcard: str('The vCard text as the provider sent it (Telegram) or the sender gave it'),
      providerContactId: str(
        "The provider's id of the person on the card (WhatsApp wa_id, Telegram user_id)",
      ),
    },
  },
  EventReaction: {
    type: 'object',
    required: ['emoji'],
    properties: {
      messageId: str('The provider id of the message reacted to'),
      emoji: str('Empty when the reaction was removed'),
    },
  },
  EventProviderError: {
    type: 'object',
    description: "The provider's error about a message",
    properties: {
      code: { type: ['integer', 'string'] },
      title: str(),
      message: str(),
      details: str(),
    },
  },
};

const messageContent: Record<string, SchemaObject> = {
  type: str(
    'Message type: text, image, video, audio, voice, document, sticker, location, contacts, reaction, …',
  ),
  text: nstr(),
  media: nullable(ref('EventMedia')),
  location: nullable(ref('EventLocation')),
  contacts: nullable({ type: 'array', items: ref('EventContactCard') }),
  reaction: nullable(ref('EventReaction')),
  replyTo: nstr('The provider id of the message replied to'),
  timestamp: unixSeconds,
  body: nstr('= text (the seeds’ name)'),
  hasMedia: { type: 'boolean' },
  fromMe: { type: 'boolean' },
};

/** A message that arrived at (or, for echoes, was sent from) the provider account. */
const INBOUND_MESSAGE_DATA: SchemaObject = {
  type: 'object',
  required: [
    'instanceId',
    'messageId',
    'chatId',
    'providerMessageId',
    'providerChatId',
    'chat',
    'from',
    'direction',
    'type',
    'timestamp',
    'fromMe',
  ],
  properties: {
    instanceId: uuid(),
    messageId: uuid('Our message id'),
    chatId: uuid('Our chat id'),
    providerMessageId: str(),
    providerChatId: str(),
    chat: ref('EventChat'),
    from: ref('EventParty'),
    direction: { type: 'string', enum: ['in', 'out'], description: '`out` for echoes of our own account' },
    ...messageContent,
    forwarded: { type: 'boolean' },
    edited: { type: 'boolean' },
    unsupportedKind: str('For `unsupported`: the provider’s own kind'),
    interactive: {
      type: 'object',
      description: 'Button / list replies: what was chosen',
      required: ['type'],
      properties: { type: str(), id: str(), title: str(), description: str(), payload: str() },
    },
    error: ref('EventProviderError'),
    pushName: nstr("The sender's display name"),
  },
};

/** A message sent through this API (POST …/messages and its aliases). */
const API_MESSAGE_DATA: SchemaObject = {
  type: 'object',
  required: ['instanceId', 'messageId', 'chatId', 'to', 'direction', 'type', 'status', 'timestamp'],
  properties: {
    instanceId: uuid(),
    messageId: uuid('Our message id'),
    providerMessageId: nstr('Null when the provider never accepted it'),
    chatId: uuid('Our chat id'),
    to: str('The recipient as given'),
    direction: { type: 'string', enum: ['out'] },
    status: { type: 'string', enum: ['queued', 'sent', 'failed'] },
    ...messageContent,
  },
};

/** A message sent through this API that the provider refused. */
const FAILED_MESSAGE_DATA: SchemaObject = {
  ...API_MESSAGE_DATA,
  required: [...API_MESSAGE_DATA.required!, 'error'],
  properties: {
    ...API_MESSAGE_DATA.properties,
    error: {
      type: 'object',
      description: 'The problem the send answered with (`code`, `status`, `message`, provider fields)',
      required: ['code', 'message'],
      properties: { code: str(), status: { type: 'integer' }, message: str() },
      additionalProperties: true,
    },
  },
};

const DATA: Record<EventType, { description: string; data: SchemaObject }> = {
  message_received: {
    description: 'A message arrived (notifyReceived)',
    data: ref('InboundMessageEventData'),
  },
  message_sent: {
    description:
      'A message was sent: through this API (first form) or from the provider’s own app, an echo (second form) (notifySent)',
    data: { anyOf: [ref('ApiMessageEventData'), ref('InboundMessageEventData')] },
  },
  message_failed: {
    description: 'The provider refused a message sent through this API (notifySent)',
    data: ref('MessageFailedEventData'),
  },
  message_status: {
    description:
      'An outbound message moved forward: delivered (notifyDelivery), read / played (notifyRead), failed (notifySent). ' +
      'WhatsApp adds its `conversation` and `pricing` objects.',
    data: {
      type: 'object',
      required: [
        'instanceId',
        'messageId',
        'chatId',
        'providerMessageId',
        'status',
        'previousStatus',
        'timestamp',
      ],
      properties: {
        instanceId: uuid(),
        messageId: uuid(),
        chatId: uuid(),
        providerMessageId: str(),
        status: { type: 'string', enum: ['sent', 'delivered', 'read', 'played', 'failed'] },
        previousStatus: str(),
        recipientId: nstr(),
        error: nullable(ref('EventProviderError')),
        timestamp: unixSeconds,
        conversation: {
          type: 'object',
          additionalProperties: true,
          description: 'WhatsApp: as Meta sends it',
        },
        pricing: { type: 'object', additionalProperties: true, description: 'WhatsApp: as Meta sends it' },
        bizOpaqueCallbackData: str('WhatsApp: the `biz_opaque_callback_data` the message was sent with'),
      },
    },
  },
  connected: {
    description: 'The instance connected; the provider names its account',
    data: {
      type: 'object',
      required: ['instanceId'],
      properties: {
        instanceId: uuid(),
        mode: { type: 'string', enum: ['webhook', 'polling'], description: 'Telegram' },
        phoneNumberId: str('WhatsApp Cloud'),
        pageId: str('Messenger'),
        igId: str('Instagram'),
        login: str('Instagram: `facebook` or `instagram`'),
        botUserId: str('Discord: the bot user id'),
        botUsername: str('Discord: the bot user name'),
        resumed: { type: 'boolean', description: 'Discord: the Gateway session was resumed' },
        slackTransport: {
          type: 'string',
          enum: ['events_api', 'socket_mode'],
          description: 'Slack: Events API Request URL or Socket Mode',
        },
      },
    },
  },
  disconnected: {
    description: 'The instance stopped receiving (logout, rejected token, provider failure)',
    data: {
      type: 'object',
      required: ['instanceId', 'status', 'reason', 'willReconnect'],
      properties: {
        instanceId: uuid(),
        status: { type: 'string', enum: ['connecting', 'disconnected', 'needs_reauth', 'error'] },
        reason: nstr(),
        willReconnect: { type: 'boolean' },
      },
    },
  },
  qr_received: {
    description: 'A QR code to log in (WhatsApp Web only; no provider of this release sends it)',
    data: {
      type: 'object',
      required: ['instanceId'],
      properties: {
        instanceId: uuid(),
        qr: str('The QR payload to render and scan'),
        expiresInMs: nullable({ type: 'integer', description: 'ms until the provider replaces it' }),
      },
      additionalProperties: true,
    },
  },
  limit_exceeded: {
    description: 'A daily usage limit was reached (once per limit and UTC day)',
    data: {
      type: 'object',
      required: ['instanceId', 'exceededLimits', 'usage', 'limits', 'date'],
      properties: {
        instanceId: uuid(),
        exceededLimits: { type: 'array', items: str(), example: ['maxMessagesSent'] },
        usage: { type: 'object', additionalProperties: { type: 'integer' }, example: { messagesSent: 1000 } },
        limits: {
          type: 'object',
          additionalProperties: { type: 'integer' },
          example: { maxMessagesSent: 1000 },
        },
        date: { type: 'string', format: 'date', description: 'The UTC day' },
      },
    },
  },
  webhook_updated: {
    description:
      "The instance's webhook settings changed: through the API, a secret rotation, or the gateway disabling " +
      'a failing webhook (that one shows in the feed only, the webhook being off)',
    data: {
      type: 'object',
      required: ['instanceId', 'timestamp'],
      properties: {
        instanceId: uuid(),
        timestamp: { type: 'string', format: 'date-time' },
        secretRotated: { type: 'boolean', description: 'POST …/webhook/rotate-secret' },
        previousSecretExpiresAt: nstr('Rotation: until when the previous secret still signs (ISO 8601)'),
        webhookEnabled: { type: 'boolean', description: 'Disabled by the gateway: false' },
        disabled: { type: 'boolean', description: 'Disabled by the gateway: true' },
        reason: {
          type: 'string',
          enum: ['gone_410', 'endpoint_failing'],
          description: 'Why it was disabled',
        },
        deliveryId: uuid('gone_410: the delivery answered 410'),
        statusCode: { type: 'integer', description: 'gone_410: 410' },
        failingSince: { type: 'string', format: 'date-time', description: 'endpoint_failing: since when' },
      },
    },
  },
  webhook_test: {
    description: 'Sent by POST /api/instances/{id}/webhook/test',
    data: {
      type: 'object',
      required: ['instanceId', 'test', 'message', 'timestamp'],
      properties: {
        instanceId: uuid(),
        test: { type: 'boolean', enum: [true] },
        message: str(),
        timestamp: { type: 'string', format: 'date-time' },
      },
    },
  },
};

/** `message_received` → `MessageReceived` */
const pascal = (event: string) =>
  event
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');

function envelope(event: EventType, extra: Record<string, SchemaObject> = {}): SchemaObject {
  return {
    type: 'object',
    description: DATA[event].description,
    required: [
      'id',
      'event',
      'instanceId',
      'provider',
      'sequence',
      'data',
      'timestamp',
      ...Object.keys(extra),
    ],
    properties: {
      id: uuid('The event id; the `webhook-id` header, the same on every retry: dedupe on it'),
      event: { type: 'string', enum: [event] },
      instanceId: uuid(),
      provider: { type: 'string', example: PROVIDER_KEYS[0] },
      sequence: { type: 'integer', description: 'Increases across the gateway in recording order' },
      data: ref(`${pascal(event)}EventData`),
      timestamp: { type: 'string', format: 'date-time', description: 'When the event was recorded' },
      ...extra,
    },
  };
}

/**
 * Components: `EventEnvelope` (one of `<Name>Event` per event name), `EventFeedItem` (the same
 * with the seeds' `type` = `event`, GET …/events), each event's `<Name>EventData` and their parts.
 */
export function eventComponentSchemas(): Record<string, SchemaObject> {
  const schemas: Record<string, SchemaObject> = {
    ...SHARED,
    InboundMessageEventData: INBOUND_MESSAGE_DATA,
    ApiMessageEventData: API_MESSAGE_DATA,
    MessageFailedEventData: FAILED_MESSAGE_DATA,
  };
  for (const event of EVENT_TYPES) {
    if (event !== 'message_failed') schemas[`${pascal(event)}EventData`] = DATA[event].data;
    schemas[`${pascal(event)}Event`] = envelope(event);
    schemas[`${pascal(event)}FeedItem`] = envelope(event, { type: { type: 'string', enum: [event] } });
  }
  schemas.EventEnvelope = {
    description: 'What webhooks receive, the SSE stream sends as `data` and the delivery log keeps',
    oneOf: EVENT_TYPES.map((e) => ref(`${pascal(e)}Event`)),
  };
  schemas.EventFeedItem = {
    description: 'An event of GET …/events: the envelope plus `type` (= `event`, the seeds’ name)',
    oneOf: EVENT_TYPES.map((e) => ref(`${pascal(e)}FeedItem`)),
  };
  return schemas;
}

const signatureHeaders = [
  ['webhook-id', 'Standard Webhooks: the event id, the same on every retry; dedupe on it'],
  ['webhook-timestamp', 'Standard Webhooks: Unix seconds of this attempt'],
  [
    'webhook-signature',
    'Standard Webhooks: `v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>`; during a secret rotation two, space-separated',
  ],
  ['X-Webhook-Signature', 'hex HMAC-SHA256 of the raw body with the webhook secret (the seeds’ scheme)'],
  ['X-Webhook-Event', 'The event name'],
] as const;

/**
 * The OpenAPI 3.1 `webhooks` section: what the gateway POSTs to an instance's `webhookUrl`, one
 * entry per event name, with the signing headers and how the answer is treated.
 */
export function webhooksSection(): Record<string, PathItemObject> {
  return Object.fromEntries(
    EVENT_TYPES.map((event) => [
      event,
      {
        post: {
          tags: ['events'],
          summary: DATA[event].description,
          operationId: `webhook_${event}`,
          parameters: signatureHeaders.map(([name, description]) => ({
            name,
            in: 'header' as const,
            required: true,
            description,
            schema: { type: 'string' },
          })),
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref(`${pascal(event)}Event`) } },
          },
          responses: {
            '2XX': { description: 'Delivered' },
            '410': {
              description: 'Gone: the gateway disables the webhook (`webhookDisabledReason: gone_410`)',
            },
            '429': { description: 'Retried later, honouring `Retry-After`' },
            '5XX': { description: 'Retried with exponential backoff (maxRetries, retryInterval ms)' },
          },
        },
      },
    ]),
  );
}
