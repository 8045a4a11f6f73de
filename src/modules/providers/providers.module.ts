import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PROVIDER_ADAPTERS, ProviderAdapter } from './provider-adapter';
import { ProviderRegistry } from './provider-registry';
import { ProvidersController } from './providers.controller';
import { TelegramInstanceEntity } from './telegram/telegram-instance.entity';
import { TelegramAdapter } from './telegram/telegram.adapter';
import { TelegramClient } from './telegram/telegram.client';
import { FacebookMessengerInstanceEntity } from './facebook-messenger/facebook-messenger-instance.entity';
import { FacebookMessengerAdapter } from './facebook-messenger/facebook-messenger.adapter';
import { GraphClient } from './graph/graph.client';
import { InstagramInstanceEntity } from './instagram/instagram-instance.entity';
import { InstagramAdapter } from './instagram/instagram.adapter';
import { WhatsappOfficialInstanceEntity } from './whatsapp-official/whatsapp-official-instance.entity';
import { WhatsappOfficialAdapter } from './whatsapp-official/whatsapp-official.adapter';
import { SlackInstanceEntity } from './slack/slack-instance.entity';
import { SlackAdapter } from './slack/slack.adapter';
import { SlackClient } from './slack/slack.client';

/** Every provider adapter, collected under PROVIDER_ADAPTERS; add new providers here. */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      TelegramInstanceEntity,
      WhatsappOfficialInstanceEntity,
      FacebookMessengerInstanceEntity,
      InstagramInstanceEntity,
      SlackInstanceEntity,
    ]),
  ],
  controllers: [ProvidersController],
  providers: [
    TelegramClient,
    TelegramAdapter,
    GraphClient,
    WhatsappOfficialAdapter,
    FacebookMessengerAdapter,
    InstagramAdapter,
    SlackClient,
    SlackAdapter,
    {
      provide: PROVIDER_ADAPTERS,
      inject: [
        TelegramAdapter,
        WhatsappOfficialAdapter,
        FacebookMessengerAdapter,
        InstagramAdapter,
        SlackAdapter,
      ],
      useFactory: (...adapters: ProviderAdapter[]) => adapters,
    },
    ProviderRegistry,
  ],
  exports: [
    ProviderRegistry,
    TelegramAdapter,
    TelegramClient,
    WhatsappOfficialAdapter,
    FacebookMessengerAdapter,
    InstagramAdapter,
    SlackAdapter,
  ],
})
export class ProvidersModule {}
