import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { ENTITIES, MIGRATIONS } from './entities';
import { SnakeNamingStrategy } from './snake-naming.strategy';

/** TypeORM options shared by the app and the CLI; `synchronize` is always off (migrations only). */
export function dataSourceOptions(config: Pick<AppConfig, 'database'>): DataSourceOptions {
  const db = config.database;
  return {
    type: 'postgres',
    ...(db.url
      ? { url: db.url }
      : {
          host: db.host,
          port: db.port ?? 5432,
          database: db.name,
          username: db.user,
          password: db.password,
        }),
    ssl: db.ssl ? { rejectUnauthorized: true } : false,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    extra: { max: db.poolSize },
  };
}
