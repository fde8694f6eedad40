import path from 'node:path';
import type { Db } from './db.js';
import { migrate } from './migrate.js';
import { openPglite } from './pglite.js';

export type { Db, Queryable, QueryResult } from './db.js';
export { migrate } from './migrate.js';

export interface OpenedStore {
  db: Db;
  /** Migrations applied by this open. */
  applied: string[];
  /** Where the data lives, for messages (password redacted). */
  location: string;
}

/**
 * Opens the store the environment selects: PostgreSQL when `AOS_DATABASE_URL` is set,
 * otherwise the embedded PGlite database under `<dataDir>/db`. Applies pending migrations.
 *
 * @example
 * const { db } = await openStore({ dataDir: '.aosiq' });
 */
export async function openStore(options: {
  dataDir: string;
  databaseUrl?: string | undefined;
  /** PostgreSQL ends a session idle inside a transaction this long (default 15 s). */
  idleTransactionTimeoutMs?: number;
}): Promise<OpenedStore> {
  // The PostgreSQL driver is loaded only for PostgreSQL: every command on the embedded default starts faster.
  const postgres = options.databaseUrl ? await import('./postgres.js') : null;
  const db = postgres && options.databaseUrl
    ? await postgres.openPostgres(options.databaseUrl, undefined, options.idleTransactionTimeoutMs)
    : await openPglite(path.join(options.dataDir, 'db'));
  try {
    const applied = await migrate(db);
    const location = postgres && options.databaseUrl ? postgres.redactUrl(options.databaseUrl) : path.join(options.dataDir, 'db');
    return { db, applied, location };
  } catch (error) {
    await db.close();
    throw error;
  }
}
