import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PROVIDER_ADAPTERS, ProviderAdapter, ProviderAdapterClass } from './provider-adapter';
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
import { DiscordInstanceEntity } from './discord/discord-instance.entity';
import { DiscordAdapter } from './discord/discord.adapter';
import { DiscordClient } from './discord/discord.client';
import { SlackInstanceEntity } from './slack/slack-instance.entity';
import { SlackAdapter } from './slack/slack.adapter';
import { SlackClient } from './slack/slack.client';
import { WhatsAppWebInstanceEntity } from './whatsapp-web/whatsapp-web-instance.entity';
import { WhatsAppWebAdapter } from './whatsapp-web/whatsapp-web.adapter';
import { WHATSAPP_WEB_ENGINE_PROVIDER } from './whatsapp-web/engine-factory';
import { WhatsAppWebService } from './whatsapp-web/whatsapp-web.service';
import { WhatsAppWebRemote } from './whatsapp-web/whatsapp-web.remote';
import { WhatsAppWebController } from './whatsapp-web/whatsapp-web.controller';
import { InstanceEntity } from '../instances-core/instance.entity';
import { MediaFetcher } from '../../common/http/media-fetcher';

/**
 * THE list of adapters: adding a provider is one line here (plus its folder and migration). The
 * inbound module mounts the webhook routes of those that take webhooks (static `webhooks`).
 */
export const PROVIDER_ADAPTER_CLASSES = [
  TelegramAdapter,
  WhatsappOfficialAdapter,
  FacebookMessengerAdapter,
  InstagramAdapter,
  DiscordAdapter,
  SlackAdapter,
  WhatsAppWebAdapter,
] as const satisfies ReadonlyArray<ProviderAdapterClass>;

/** Every provider key, in list order (the OpenAPI `provider` enum; examples use the first). */
export const PROVIDER_KEYS: string[] = PROVIDER_ADAPTER_CLASSES.map((c) => c.key);

/** The `POST /api/instances` examples, one per provider. */
export const CREATE_INSTANCE_EXAMPLES = Object.fromEntries(
  PROVIDER_ADAPTER_CLASSES.map((c) => [c.key, { value: { provider: c.key, ...c.createExample } }]),
);

/** Every provider adapter, collected under PROVIDER_ADAPTERS. */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      TelegramInstanceEntity,
      WhatsappOfficialInstanceEntity,
      FacebookMessengerInstanceEntity,
      InstagramInstanceEntity,
      DiscordInstanceEntity,
      SlackInstanceEntity,
      WhatsAppWebInstanceEntity,
      InstanceEntity,
    ]),
  ],
  controllers: [ProvidersController, WhatsAppWebController],
  providers: [
    TelegramClient,
    GraphClient,
    DiscordClient,
    SlackClient,
    MediaFetcher,
    WHATSAPP_WEB_ENGINE_PROVIDER,
    WhatsAppWebRemote,
    WhatsAppWebService,
    ...PROVIDER_ADAPTER_CLASSES,
    {
      provide: PROVIDER_ADAPTERS,
      inject: [...PROVIDER_ADAPTER_CLASSES],
      useFactory: (...adapters: ProviderAdapter[]) => adapters,
    },
    ProviderRegistry,
  ],
  exports: [ProviderRegistry, TelegramClient, WhatsAppWebService, ...PROVIDER_ADAPTER_CLASSES],
})
export class ProvidersModule {}
