import 'reflect-metadata';
import './document-only-env';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppModule } from '../app.module';
import { buildOpenApiDocument } from '../bootstrap';

/**
 * Writes the OpenAPI document the built gateway publishes at /api/docs-json to the file given as
 * the first argument (default web/src/api/openapi.json), for the dashboard's generated client.
 * Runs from dist/ (`npm run openapi` builds first: the Swagger CLI plugin runs at build time).
 * Nest's preview mode resolves the modules without starting them, so no database or Redis is
 * needed (document-only-env.ts fills in the required settings).
 */
async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? 'web/src/api/openapi.json');
  Logger.overrideLogger(false);
  const app = await NestFactory.create(AppModule.forRoot('api'), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  writeFileSync(out, `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`);
  await app.close();
  process.stdout.write(`openapi: wrote ${out}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
