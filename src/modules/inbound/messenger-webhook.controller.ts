import { MetaWebhookController } from './meta-webhook.controller';
import { MessengerWebhookService } from './messenger-webhook.service';

/**
 * Messenger webhook endpoints (configure `<PUBLIC_BASE_URL>/webhooks/messenger` as the
 * callback URL in the Meta app, or `/webhooks/messenger/<instanceId>` per instance; subscribe the Page to messages, message_deliveries,
 * message_reads, message_reactions, message_echoes, messaging_postbacks). Meta gets its
 * 200 only after every item is durable; a wrong or missing signature is a 401 and stores nothing.
 */
export class MessengerWebhookController extends MetaWebhookController(
  'webhooks/messenger',
  MessengerWebhookService,
) {}
