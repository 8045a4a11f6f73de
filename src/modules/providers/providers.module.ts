import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PROVIDER_ADAPTERS, ProviderAdapter } from './provider-adapter';
import { ProviderRegistry } from './provider-registry';
import { TelegramInstanceEntity } from './telegram/telegram-instance.entity';
import { TelegramAdapter } from './telegram/telegram.adapter';
import { TelegramClient } from './telegram/telegram.client';
import { GraphClient } from './graph/graph.client';
import { WhatsappOfficialInstanceEntity } from './whatsapp-official/whatsapp-official-instance.entity';
import { WhatsappOfficialAdapter } from './whatsapp-official/whatsapp-official.adapter';

/** Every provider adapter, collected under PROVIDER_ADAPTERS; add new providers here. */
@Module({
  imports: [TypeOrmModule.forFeature([TelegramInstanceEntity, WhatsappOfficialInstanceEntity])],
  providers: [
    TelegramClient,
    TelegramAdapter,
    GraphClient,
    WhatsappOfficialAdapter,
    {
      provide: PROVIDER_ADAPTERS,
      inject: [TelegramAdapter, WhatsappOfficialAdapter],
      useFactory: (...adapters: ProviderAdapter[]) => adapters,
    },
    ProviderRegistry,
  ],
  exports: [ProviderRegistry, TelegramAdapter, TelegramClient, WhatsappOfficialAdapter],
})
export class ProvidersModule {}
