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
import { WhatsAppWebInstanceEntity } from './whatsapp-web/whatsapp-web-instance.entity';
import { WhatsAppWebAdapter } from './whatsapp-web/whatsapp-web.adapter';
import { WHATSAPP_WEB_ENGINE_PROVIDER } from './whatsapp-web/engine-factory';
import { WhatsAppWebService } from './whatsapp-web/whatsapp-web.service';
import { WhatsAppWebRemote } from './whatsapp-web/whatsapp-web.remote';
import { WhatsAppWebController } from './whatsapp-web/whatsapp-web.controller';
import { InstanceEntity } from '../instances/instance.entity';

/** Every provider adapter, collected under PROVIDER_ADAPTERS; add new providers here. */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      TelegramInstanceEntity,
      WhatsappOfficialInstanceEntity,
      FacebookMessengerInstanceEntity,
      InstagramInstanceEntity,
      WhatsAppWebInstanceEntity,
      InstanceEntity,
    ]),
  ],
  controllers: [ProvidersController, WhatsAppWebController],
  providers: [
    TelegramClient,
    TelegramAdapter,
    GraphClient,
    WhatsappOfficialAdapter,
    FacebookMessengerAdapter,
    InstagramAdapter,
    WHATSAPP_WEB_ENGINE_PROVIDER,
    WhatsAppWebRemote,
    WhatsAppWebService,
    WhatsAppWebAdapter,
    {
      provide: PROVIDER_ADAPTERS,
      inject: [
        TelegramAdapter,
        WhatsappOfficialAdapter,
        FacebookMessengerAdapter,
        InstagramAdapter,
        WhatsAppWebAdapter,
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
    WhatsAppWebAdapter,
    WhatsAppWebService,
  ],
})
export class ProvidersModule {}
