import { Injectable } from '@nestjs/common';
import { ConversationsService } from '../messages/conversations.service';
import { INSTAGRAM, InstagramAdapter } from '../providers/instagram/instagram.adapter';
import { PageWebhookService } from './page-webhook.service';

/**
 * Instagram messaging webhooks (Meta: instagram-platform/webhooks), routed by IG account id; the
 * signature may be made with the instance's Instagram app secret or its Meta app secret (the
 * adapter checks both). Events share Messenger's shapes; `changes` (comments, mentions) are skipped.
 */
@Injectable()
export class InstagramWebhookService extends PageWebhookService {
  constructor(adapter: InstagramAdapter, conversations: ConversationsService) {
    super(adapter, conversations, INSTAGRAM, 'Instagram');
  }
}
