import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';

/** Arbitrary constant: the advisory lock key every Switchboard process uses for migrations. */
const MIGRATION_LOCK_KEY = 7_316_042_201;

/**
 * Applies pending migrations under a PostgreSQL session advisory lock, so N processes booting at
 * once migrate exactly once (immich's pattern). The others wait on the lock, then find nothing to do.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<void> {
  const logger = new Logger('Migrations');
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length)
      logger.log(`applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
