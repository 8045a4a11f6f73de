import { DynamicModule, Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module';
import { MessagesModule } from '../messages/messages.module';
import { PROVIDER_ADAPTER_CLASSES, ProvidersModule } from '../providers/providers.module';
import { InboundPipelineService } from './inbound-pipeline.service';
import { webhookControllers } from './inbound-webhook.controller';
import { TelegramPollerService } from './telegram-poller.service';

/**
 * Provider → gateway: the generic webhook pipeline (API role; one controller per webhook path of
 * the adapters, see webhookControllers) and long-polling loops (worker role), all ending in
 * ConversationsService.
 */
@Module({})
export class InboundModule {
  static register(opts: { api: boolean; workers: boolean }): DynamicModule {
    return {
      module: InboundModule,
      imports: [InstancesModule, MessagesModule, ProvidersModule],
      controllers: opts.api ? webhookControllers(PROVIDER_ADAPTER_CLASSES) : [],
      providers: [
        ...(opts.api ? [InboundPipelineService] : []),
        ...(opts.workers ? [TelegramPollerService] : []),
      ],
    };
  }
}
