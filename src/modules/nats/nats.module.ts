import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { InstancesModule } from '../instances/instances.module';
import { MessagesModule } from '../messages/messages.module';
import { ProvidersModule } from '../providers/providers.module';
import { WhatsappOfficialInstanceEntity } from '../providers/whatsapp-official/whatsapp-official-instance.entity';
import { NatsConnectionService } from './nats-connection.service';
import { NatsHealthService } from './nats-health.service';
import { NatsPublisherService } from './nats-publisher.service';
import { NatsRequestHandlerService } from './nats-request-handler.service';
import { SeedAccountsService } from './seed-accounts.service';

/**
 * NATS (issue 13; README § NATS): the JetStream publisher following the outbox and the
 * request/reply handlers (worker processes), the connector seed's `.env` provisioning (API
 * processes; its `/webhook` alias is one of WhatsApp's webhook routes), and NATS lag/readiness for
 * /metrics and /health/ready.
 * Everything but the health figures is idle while NATS_URL is unset (the seed env still works).
 */
@Module({})
export class NatsModule {
  static register(opts: { api: boolean; workers: boolean }): DynamicModule {
    return {
      module: NatsModule,
      global: true,
      imports: [
        TypeOrmModule.forFeature([WhatsappOfficialInstanceEntity]),
        AuthModule,
        InstancesModule,
        MessagesModule,
        ProvidersModule,
      ],
      providers: [
        NatsConnectionService,
        NatsHealthService,
        ...(opts.api ? [SeedAccountsService] : []),
        ...(opts.workers ? [NatsPublisherService, NatsRequestHandlerService] : []),
      ],
      exports: [NatsHealthService],
    };
  }
}
