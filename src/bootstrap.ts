import { DynamicModule, INestApplication, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { FrameworkLogger } from './common/logging/framework-logger';
import { GatewayMetrics } from './common/metrics/gateway-metrics';
import { httpMetricsMiddleware } from './common/metrics/http-metrics.middleware';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter';
import { jsonDepthLimit } from './common/validation/json-depth';
import { inputPipes } from './common/validation/request-input.pipe';
import { PROBLEM_DETAILS_SCHEMA, PROBLEM_JSON } from './common/openapi/problem-responses';
import { eventComponentSchemas, webhooksSection } from './modules/webhooks/event-schemas';

/** Most bytes of a JSON body (the body parser answers 413 `payload_too_large` above it). */
const JSON_BODY_LIMIT = '1mb';

/**
 * Builds the HTTP application exactly as production runs it (main.ts) and as the e2e tests
 * boot it: JSON size and depth limits, global validation (inputPipes), problem+json errors,
 * Swagger at /api/docs, graceful shutdown.
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
  // API bodies are per-caller and change with every event: no ETag hashing of each body and no
  // 304s (the dashboard's static files keep theirs, from serve-static)
  app.set('etag', false);
  app.use(httpMetricsMiddleware(app.get(GatewayMetrics)));
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  app.use(jsonDepthLimit());
  app.useGlobalPipes(...inputPipes());
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.enableShutdownHooks();
  if (app.get(AppConfig).swaggerEnabled) setupSwagger(app);
  return app;
}

/** Hosts AppModule beside extra modules (see createApp). */
@Module({})
class HostModule {}

/**
 * Swagger tags, in the order Swagger UI shows them: the everyday API first, then admin,
 * the provider callback URLs, the seeds' aliases and the probes.
 */
const TAGS: [string, string][] = [
  ['auth', 'Log in, the current user and API keys'],
  [
    'instances',
    'Connected bots and accounts: create (credentials checked with the provider), status, webhook settings',
  ],
  ['messages', 'Send, read and download messages; chats and history'],
  ['contacts', 'Contacts the gateway has seen or saved'],
  ['webhook deliveries', 'The delivery log: attempts, resend, replay, test event, secret rotation'],
  [
    'events',
    "An instance's events: the feed, the live SSE stream, and (see `webhooks`) what your webhook receives",
  ],
  ['stats', 'Usage counters per user, instance and gateway'],
  ['providers', 'The providers this gateway speaks: capabilities and the config schema of each'],
  ['users', 'User management (admins)'],
  [
    'provider webhooks',
    'The callback URLs to paste into the provider dashboards (Telegram setWebhook, Meta app webhooks); verified before anything is stored',
  ],
  ['compatibility', "The seeds' routes, as aliases onto the routes above"],
  ['health', 'Liveness, readiness and Prometheus metrics'],
];

/**
 * The OpenAPI 3.1 document served at /api/docs-json: every operation with its request, success
 * and problem+json error schemas, and the events POSTed to webhook URLs in `webhooks`.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Switchboard')
    .setDescription(
      'One REST API for Telegram, WhatsApp Cloud, Messenger and Instagram (next: Slack, Discord). ' +
        'Authenticate with `Authorization: Bearer <jwt>` from POST /api/auth/login, or `x-api-key`. ' +
        'Errors are application/problem+json (`ProblemDetails`). ' +
        'Events are POSTed to your webhook URL as an `EventEnvelope` (see `webhooks`), ' +
        'signed with `X-Webhook-Signature` (hex HMAC-SHA256 of the body) and Standard Webhooks `webhook-id`/`webhook-timestamp`/`webhook-signature`; ' +
        'delivery is at least once and may be out of order under retries; `webhook-id` is the dedupe key.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
    .addGlobalResponse({
      status: 500,
      description: 'Unexpected error (`internal_error`); the body never echoes the request',
      content: { [PROBLEM_JSON]: { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
    });
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const config = builder.build();
  config.components = {
    ...config.components,
    schemas: { ProblemDetails: PROBLEM_DETAILS_SCHEMA, ...eventComponentSchemas() },
  };
  return withGlobalInputErrors(SwaggerModule.createDocument(app, { ...config, webhooks: webhooksSection() }));
}

/**
 * Errors that answer before any route's own logic, added here once rather than on each route (a
 * route's own description of 400 is kept):
 * - the JSON body parser and depth check, for every operation that takes a JSON body: 400
 *   `bad_request` for JSON that does not parse, `payload_too_deep` past 32 levels, 413 past
 *   JSON_BODY_LIMIT;
 * - the global input pipe, for every operation with path or query parameters: 400
 *   `validation_failed` for NUL or a lone surrogate in a parameter, or a query parameter given twice.
 */
function withGlobalInputErrors(document: OpenAPIObject): OpenAPIObject {
  const problem = (description: string) => ({
    description,
    content: { [PROBLEM_JSON]: { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
  });
  for (const item of Object.values(document.paths)) {
    for (const op of [item.get, item.post, item.put, item.patch, item.delete]) {
      if (!op) continue;
      const body = op.requestBody as { content?: Record<string, unknown> } | undefined;
      if (body?.content?.['application/json']) {
        op.responses['400'] ??= problem(
          'The body is not valid JSON (`bad_request`), nested deeper than 32 levels (`payload_too_deep`), or validation failed',
        );
        op.responses['413'] ??= problem(`The body is larger than ${JSON_BODY_LIMIT} (\`payload_too_large\`)`);
      }
      if (op.parameters?.length) {
        op.responses['400'] ??= problem(
          'A parameter contains NUL or a lone surrogate, or a query parameter is given twice (`validation_failed`)',
        );
      }
    }
  }
  return document;
}

export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('api/docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'api/docs-json' });
}
