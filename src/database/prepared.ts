import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';

/** Statement text → its name; few distinct texts go through here (the hot statements). */
const names = new Map<string, string>();

/** The name a statement is prepared under: a hash of its text, so a name never meets two texts. */
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) names.set(text, (name = `sb_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`));
  return name;
}

/**
 * Runs `text` with `values` as a named prepared statement: each PostgreSQL connection parses and
 * plans it once, then only binds and runs it (issue 11: parsing and planning the sync send's
 * four-part statement on every send was about a quarter of PostgreSQL's work per send).
 * Outside a transaction (`db` a DataSource, or a manager without a query runner) on a connection
 * of the pool; inside one, on the transaction's connection. For the few hot statements whose text
 * is fixed (values vary); errors are pg's (`code`, `constraint`, `detail`).
 * @returns the rows
 */
export async function queryPrepared<T = Record<string, unknown>>(
  db: DataSource | EntityManager,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const query = { name: statementName(text), text, values };
  const runner = 'queryRunner' in db ? db.queryRunner : undefined;
  if (runner) {
    const client = (await runner.connect()) as PoolClient;
    return (await client.query(query)).rows as T[];
  }
  const source = 'driver' in db ? db : db.connection;
  const pool = (source.driver as unknown as { master: Pool }).master;
  return (await pool.query(query)).rows as T[];
}
