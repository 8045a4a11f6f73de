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

/**
 * THE list of adapters: adding a provider is one line here (plus its folder and migration). The
 * inbound module mounts the webhook routes of those that take webhooks (static `webhooks`).
 */
export const PROVIDER_ADAPTER_CLASSES = [
  TelegramAdapter,
  WhatsappOfficialAdapter,
  FacebookMessengerAdapter,
  InstagramAdapter,
] as const;

/** Every provider adapter, collected under PROVIDER_ADAPTERS. */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      TelegramInstanceEntity,
      WhatsappOfficialInstanceEntity,
      FacebookMessengerInstanceEntity,
      InstagramInstanceEntity,
    ]),
  ],
  controllers: [ProvidersController],
  providers: [
    TelegramClient,
    GraphClient,
    ...PROVIDER_ADAPTER_CLASSES,
    {
      provide: PROVIDER_ADAPTERS,
      inject: [...PROVIDER_ADAPTER_CLASSES],
      useFactory: (...adapters: ProviderAdapter[]) => adapters,
    },
    ProviderRegistry,
  ],
  exports: [ProviderRegistry, TelegramClient, ...PROVIDER_ADAPTER_CLASSES],
})
export class ProvidersModule {}
