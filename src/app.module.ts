import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { CommonModule } from './common/common.module';
import { httpLoggingOptions, logDestination } from './common/logging/http-logging';
import { redisOptionsFromUrl } from './common/redis/redis-options';
import { ThrottlingModule } from './common/throttling/throttling.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { validateEnv } from './config/env.schema';
import { DatabaseModule } from './database/database.module';
import { AuthModule } from './modules/auth/auth.module';
import { CompatModule } from './modules/compat/compat.module';
import { ConnectionsModule } from './modules/connections/connections.module';
import { ContactsModule } from './modules/contacts/contacts.module';
import { DashboardModule } from './modules/dashboard/dashboard.module';
import { HealthModule } from './modules/health/health.module';
import { InboundModule } from './modules/inbound/inbound.module';
import { InstancesModule } from './modules/instances/instances.module';
import { MessagesModule } from './modules/messages/messages.module';
import { SendWorkerModule } from './modules/messages/send-queue/send-worker.module';
import { NatsModule } from './modules/nats/nats.module';
import { ProvidersModule } from './modules/providers/providers.module';
import { StatsModule } from './modules/stats/stats.module';
import { UsageModule } from './modules/usage/usage.module';
import { WebhooksModule } from './modules/webhooks/webhooks.module';

/**
 * Composes the gateway. APP_ROLE decides what runs here: `api` (HTTP only), `worker` (queue
 * processors, provider connections, sweeper), or `all` (both, the default for one-process installs).
 */
@Module({})
export class AppModule {
  static forRoot(role?: AppConfig['role']): DynamicModule {
    const env = validateEnv(process.env);
    const config = new AppConfig(env);
    const effective = role ?? config.role;
    const api = effective !== 'worker';
    const workers = effective !== 'api';
    return {
      module: AppModule,
      imports: [
        ConfigModule,
        CommonModule,
        LoggerModule.forRoot({ pinoHttp: [httpLoggingOptions(config.logLevel), logDestination()] }),
        DatabaseModule,
        BullModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (c: AppConfig) => ({
            connection: redisOptionsFromUrl(c.redis.url),
            prefix: c.redis.prefix,
          }),
        }),
        WebhooksModule.register({ workers, config: config.webhooks }),
        AuthModule,
        ...(api ? [ThrottlingModule] : []),
        // global guards run in import order: auth, rate limits, then API-call counting
        UsageModule,
        ProvidersModule,
        InstancesModule,
        MessagesModule,
        ...(workers ? [SendWorkerModule.register(config.send)] : []),
        ContactsModule,
        InboundModule.register({ api, workers }),
        ConnectionsModule.register({ workers }),
        NatsModule.register({ api, workers }),
        StatsModule,
        CompatModule,
        HealthModule,
        ...(api ? [DashboardModule.register()] : []),
      ],
    };
  }
}
