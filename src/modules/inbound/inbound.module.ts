import { DynamicModule, Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module';
import { MessagesModule } from '../messages/messages.module';
import { PROVIDER_ADAPTER_CLASSES, ProvidersModule } from '../providers/providers.module';
import { InboundPipelineService } from './inbound-pipeline.service';
import { webhookControllers } from './inbound-webhook.controller';

/**
 * Provider → gateway over HTTP: the generic webhook pipeline (API role; one controller per webhook
 * path of the adapters, see webhookControllers), ending in ConversationsService.ingestBatch.
 * Long-lived connections (Telegram polling, …) run in the connection runtime (connections/).
 */
@Module({})
export class InboundModule {
  static register(opts: { api: boolean; workers: boolean }): DynamicModule {
    return {
      module: InboundModule,
      imports: [InstancesModule, MessagesModule, ProvidersModule],
      controllers: opts.api ? webhookControllers(PROVIDER_ADAPTER_CLASSES) : [],
      providers: [...(opts.api ? [InboundPipelineService] : [])],
    };
  }
}
