import { DynamicModule, Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module';
import { MessagesModule } from '../messages/messages.module';
import { ProvidersModule } from '../providers/providers.module';
import { InstagramWebhookController } from './instagram-webhook.controller';
import { InstagramWebhookService } from './instagram-webhook.service';
import { MessengerWebhookController } from './messenger-webhook.controller';
import { MessengerWebhookService } from './messenger-webhook.service';
import { TelegramWebhookController } from './telegram-webhook.controller';
import { WhatsappWebhookController } from './whatsapp-webhook.controller';
import { WhatsappWebhookService } from './whatsapp-webhook.service';

/**
 * Provider → gateway: public provider webhooks (API role) and long-polling loops (worker role),
 * all ending in ConversationsService.ingest.
 */
@Module({})
export class InboundModule {
  static register(opts: { api: boolean; workers: boolean }): DynamicModule {
    return {
      module: InboundModule,
      imports: [InstancesModule, MessagesModule, ProvidersModule],
      controllers: opts.api
        ? [
            TelegramWebhookController,
            WhatsappWebhookController,
            MessengerWebhookController,
            InstagramWebhookController,
          ]
        : [],
      providers: [
        ...(opts.api ? [WhatsappWebhookService, MessengerWebhookService, InstagramWebhookService] : []),
      ],
    };
  }
}
