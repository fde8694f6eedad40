import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AosError } from '../errors.js';
import type { Db } from './db.js';

// Any constant works; it only has to differ from the other advisory locks we take.
const MIGRATION_LOCK = 7_400_001;

/** The package's migrations folder, found from this file whether it runs from src/ or dist/. */
export function migrationsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'migrations', '001_kernel.sql'))) {
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new AosError('INTERNAL', 'the migrations folder is missing from the installation');
    dir = parent;
  }
  return path.join(dir, 'migrations');
}

const SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

interface Migration {
  version: number;
  name: string;
  sql: string;
}

function readMigrations(dir: string): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number.parseInt(file.slice(0, 3), 10),
      name: file.replace(/\.sql$/, ''),
      sql: fs.readFileSync(path.join(dir, file), 'utf8'),
    }));
}

/**
 * Applies the numbered SQL migrations not yet recorded in `schema_migrations`, each in its own
 * transaction under an advisory lock, so several processes starting at once apply each exactly
 * once. Returns the names it applied.
 *
 * @example
 * const applied = await migrate(db); // ['001_kernel']
 */
export async function migrate(db: Db, dir = migrationsDir()): Promise<string[]> {
  const applied: string[] = [];
  for (const migration of readMigrations(dir)) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      // Under the lock, so processes starting together cannot race to create it.
      await tx.exec(SCHEMA_MIGRATIONS);
      const existing = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [
        migration.version,
      ]);
      if (existing.rowCount > 0) return false;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      return true;
    });
    if (done) applied.push(migration.name);
  }
  return applied;
}
