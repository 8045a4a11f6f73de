import { ApiKeyEntity } from '../modules/auth/api-key.entity';
import { UserEntity } from '../modules/auth/user.entity';
import { ContactEntity } from '../modules/contacts/contact.entity';
import { ActivityLogEntity } from '../modules/instances/activity-log.entity';
import { InstanceEntity } from '../modules/instances-core/instance.entity';
import { ChatEntity } from '../modules/messages/chat.entity';
import { MessageEntity } from '../modules/messages/message.entity';
import { InboundEventEntity } from '../modules/providers/inbound-event.entity';
import { FacebookMessengerInstanceEntity } from '../modules/providers/facebook-messenger/facebook-messenger-instance.entity';
import { DiscordInstanceEntity } from '../modules/providers/discord/discord-instance.entity';
import { InstagramInstanceEntity } from '../modules/providers/instagram/instagram-instance.entity';
import { SlackInstanceEntity } from '../modules/providers/slack/slack-instance.entity';
import { TelegramInstanceEntity } from '../modules/providers/telegram/telegram-instance.entity';
import { WhatsappOfficialInstanceEntity } from '../modules/providers/whatsapp-official/whatsapp-official-instance.entity';
import { WhatsAppWebInstanceEntity } from '../modules/providers/whatsapp-web/whatsapp-web-instance.entity';
import { EventEntity } from '../modules/webhooks/event.entity';
import { WebhookDeliveryAttemptEntity } from '../modules/webhooks/webhook-delivery-attempt.entity';
import { WebhookDeliveryEntity } from '../modules/webhooks/webhook-delivery.entity';
import { UsageDailyEntity } from '../modules/usage/usage-daily.entity';
import { InitialSchema1763700000000 } from '../../migrations/1763700000000-InitialSchema';
import { WebhookDeliveryLog1763800000000 } from '../../migrations/1763800000000-WebhookDeliveryLog';
import { UsageDaily1763900000000 } from '../../migrations/1763900000000-UsageDaily';
import { MetaProviders1764000000000 } from '../../migrations/1764000000000-MetaProviders';
import { ChatReadMarker1764120000000 } from '../../migrations/1764120000000-ChatReadMarker';
import { SendQueue1765400000000 } from '../../migrations/1765400000000-SendQueue';
import { NatsOutbox1765300000000 } from '../../migrations/1765300000000-NatsOutbox';
import { SlackInstances1765500000000 } from '../../migrations/1765500000000-SlackInstances';
import { DiscordInstances1765600000000 } from '../../migrations/1765600000000-DiscordInstances';
import { WhatsappWeb1765700000000 } from '../../migrations/1765700000000-WhatsappWeb';
import { InboundRequests1765800000000 } from '../../migrations/1765800000000-InboundRequests';

/** Listed explicitly (no globs) so the same list works from ts-jest and from dist/. */
export const ENTITIES = [
  UserEntity,
  ApiKeyEntity,
  InstanceEntity,
  ActivityLogEntity,
  TelegramInstanceEntity,
  WhatsappOfficialInstanceEntity,
  FacebookMessengerInstanceEntity,
  InstagramInstanceEntity,
  SlackInstanceEntity,
  DiscordInstanceEntity,
  WhatsAppWebInstanceEntity,
  ContactEntity,
  ChatEntity,
  MessageEntity,
  InboundEventEntity,
  EventEntity,
  WebhookDeliveryEntity,
  WebhookDeliveryAttemptEntity,
  UsageDailyEntity,
];

export const MIGRATIONS = [
  InitialSchema1763700000000,
  WebhookDeliveryLog1763800000000,
  UsageDaily1763900000000,
  MetaProviders1764000000000,
  ChatReadMarker1764120000000,
  SendQueue1765400000000,
  NatsOutbox1765300000000,
  SlackInstances1765500000000,
  DiscordInstances1765600000000,
  WhatsappWeb1765700000000,
  InboundRequests1765800000000,
];
