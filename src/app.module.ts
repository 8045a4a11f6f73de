import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { CommonModule } from './common/common.module';
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
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            genReqId: (req, res) => {
              const incoming = req.headers['x-request-id'];
              const id =
                typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
              res.setHeader('x-request-id', id);
              return id;
            },
            redact: {
              paths: [
                'req.headers.authorization',
                'req.headers["x-api-key"]',
                'req.headers["x-telegram-bot-api-secret-token"]',
                'req.headers.cookie',
                '*.botToken',
                '*.accessToken',
                '*.pageAccessToken',
                '*.appSecret',
                '*.metaAppSecret',
                '*.webhookVerifyToken',
                '*.password',
                '*.webhookSecret',
                '*.secret',
              ],
              censor: '[redacted]',
            },
            autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
            // bot tokens travel in Telegram URLs: never log request URLs of the fake/provider, only ours
            serializers: {
              req: (req: { id: string; method: string; url: string }) => ({
                id: req.id,
                method: req.method,
                // the Meta GET handshake carries hub.verify_token in the query
                url: req.url.startsWith('/webhooks/') ? req.url.split('?')[0] : req.url,
              }),
            },
          },
        }),
        DatabaseModule,
        BullModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (c: AppConfig) => ({
            connection: redisOptionsFromUrl(c.redis.url),
            prefix: c.redis.prefix,
          }),
        }),
        WebhooksModule.register({ workers, config: config.webhooks }),
        UsageModule,
        AuthModule,
        ...(api ? [ThrottlingModule] : []),
        ProvidersModule,
        InstancesModule,
        MessagesModule,
        ContactsModule,
        InboundModule.register({ api, workers }),
        ConnectionsModule.register({ workers }),
        StatsModule,
        CompatModule,
        HealthModule,
        ...(api ? [DashboardModule.register()] : []),
      ],
    };
  }
}
