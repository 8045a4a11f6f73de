import { MetaWebhookController } from './meta-webhook.controller';
import { InstagramWebhookService } from './instagram-webhook.service';

/**
 * Instagram webhook endpoints (callback URL `<PUBLIC_BASE_URL>/webhooks/instagram` or
 * `/webhooks/instagram/<instanceId>`; subscribe to messages, messaging_seen, message_reactions,
 * messaging_postbacks). A wrong or missing signature is a 401 and stores nothing.
 */
export class InstagramWebhookController extends MetaWebhookController(
  'webhooks/instagram',
  InstagramWebhookService,
) {}
