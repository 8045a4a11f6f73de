import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PROVIDER_ADAPTERS, ProviderAdapter } from './provider-adapter';
import { ProviderRegistry } from './provider-registry';
import { TelegramInstanceEntity } from './telegram/telegram-instance.entity';
import { TelegramAdapter } from './telegram/telegram.adapter';
import { TelegramClient } from './telegram/telegram.client';

/** Every provider adapter, collected under PROVIDER_ADAPTERS; add new providers here. */
@Module({
  imports: [TypeOrmModule.forFeature([TelegramInstanceEntity])],
  providers: [
    TelegramClient,
    TelegramAdapter,
    {
      provide: PROVIDER_ADAPTERS,
      inject: [TelegramAdapter],
      useFactory: (...adapters: ProviderAdapter[]) => adapters,
    },
    ProviderRegistry,
  ],
  exports: [ProviderRegistry, TelegramAdapter, TelegramClient],
})
export class ProvidersModule {}
