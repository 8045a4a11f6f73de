import { MetaWebhookController } from './meta-webhook.controller';
import { WhatsappWebhookService } from './whatsapp-webhook.service';

/**
 * WhatsApp Cloud API webhook endpoints (configure `<PUBLIC_BASE_URL>/webhooks/whatsapp` as the
 * callback URL in the Meta app, or `/webhooks/whatsapp/<instanceId>` per instance). Meta gets its
 * 200 only after every item is durable; a wrong or missing signature is a 401 and stores nothing.
 */
export class WhatsappWebhookController extends MetaWebhookController(
  'webhooks/whatsapp',
  WhatsappWebhookService,
) {}
