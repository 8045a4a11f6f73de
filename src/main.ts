import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { AppConfig } from './config/app-config';
import { createApp } from './bootstrap';

/** HTTP process (APP_ROLE=api) or the all-in-one gateway (APP_ROLE=all, the default). */
async function main(): Promise<void> {
  const app = await createApp();
  const config = app.get(AppConfig);
  await app.listen(config.port, config.host);
  const docs = config.swaggerEnabled ? `, Swagger UI at /api/docs` : '';
  new Logger('Switchboard').log(
    `listening on http://${config.host}:${config.port} (APP_ROLE=${config.role}, Node ${process.versions.node})${docs}`,
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
