import { Injectable } from '@nestjs/common';
import { ConversationsService } from '../messages/conversations.service';
import { FacebookMessengerAdapter } from '../providers/facebook-messenger/facebook-messenger.adapter';
import { FACEBOOK_MESSENGER } from '../providers/facebook-messenger/facebook-messenger.normalizer';
import { PageWebhookService } from './page-webhook.service';

/** Messenger webhooks (Meta: messenger-platform/webhooks), routed by Page id. */
@Injectable()
export class MessengerWebhookService extends PageWebhookService {
  constructor(adapter: FacebookMessengerAdapter, conversations: ConversationsService) {
    super(adapter, conversations, FACEBOOK_MESSENGER, 'Messenger');
  }
}
