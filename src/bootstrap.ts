import { DynamicModule, INestApplication, Module, Type, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { FrameworkLogger } from './common/logging/framework-logger';
import { GatewayMetrics } from './common/metrics/gateway-metrics';
import { httpMetricsMiddleware } from './common/metrics/http-metrics.middleware';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter';
import { validationExceptionFactory } from './common/errors/validation-exception.factory';

/**
 * Builds the HTTP application exactly as production runs it (main.ts) and as the e2e tests
 * boot it: global validation, problem+json errors, Swagger at /api/docs, graceful shutdown.
 * `extraModules` is for the bench's baseline routes only.
 */
export async function createApp(
  role?: AppConfig['role'],
  extraModules: Type[] = [],
): Promise<NestExpressApplication> {
  const root = AppModule.forRoot(role);
  const module: DynamicModule = extraModules.length
    ? { module: HostModule, imports: [root, ...extraModules] }
    : root;
  const app = await NestFactory.create<NestExpressApplication>(module, {
    bufferLogs: true,
    abortOnError: false,
    // Meta webhooks are signed over the exact bytes sent: controllers read req.rawBody
    rawBody: true,
  });
  app.useLogger(new FrameworkLogger(app.get(Logger)));
  app.set('trust proxy', 'loopback');
  app.disable('x-powered-by');
  app.use(httpMetricsMiddleware(app.get(GatewayMetrics)));
  app.useBodyParser('json', { limit: '1mb' });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: validationExceptionFactory,
    }),
  );
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.enableShutdownHooks();
  if (app.get(AppConfig).swaggerEnabled) setupSwagger(app);
  return app;
}

/** Hosts AppModule beside extra modules (see createApp). */
@Module({})
class HostModule {}

export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('api/docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'api/docs-json' });
}

/** The OpenAPI document served at /api/docs-json (also written to web/ by `npm run openapi`). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Switchboard')
    .setDescription(
      'One REST API for Telegram, WhatsApp Cloud, Messenger and Instagram (next: Slack, Discord). ' +
        'Authenticate with `Authorization: Bearer <jwt>` from POST /api/auth/login, or `x-api-key`. ' +
        'Errors are application/problem+json `{type, title, status, detail, code, errors?, requestId}`. ' +
        'Events are POSTed to your webhook URL as `{id, event, instanceId, provider, sequence, data, timestamp}`, ' +
        'signed with `X-Webhook-Signature` (hex HMAC-SHA256 of the body) and Standard Webhooks `webhook-id`/`webhook-timestamp`/`webhook-signature`; ' +
        'delivery is at least once and may be out of order under retries; `webhook-id` is the dedupe key.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
    .build();
  return SwaggerModule.createDocument(app, config);
}
