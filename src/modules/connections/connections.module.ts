import { DynamicModule, Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module';
import { MessagesModule } from '../messages/messages.module';
import { ProvidersModule } from '../providers/providers.module';
import { ConnectionRuntime } from './connection-runtime.service';
import { ConnectionStatusService } from './connection-status.service';

/**
 * Long-lived provider connections (Telegram polling, and next Discord Gateway, Slack Socket Mode,
 * WhatsApp Web): the runtime runs only where workers run (APP_ROLE worker|all).
 */
@Module({})
export class ConnectionsModule {
  static register(opts: { workers: boolean }): DynamicModule {
    return {
      module: ConnectionsModule,
      imports: [InstancesModule, MessagesModule, ProvidersModule],
      providers: opts.workers ? [ConnectionStatusService, ConnectionRuntime] : [],
      exports: opts.workers ? [ConnectionRuntime] : [],
    };
  }
}
