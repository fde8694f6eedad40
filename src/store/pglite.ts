import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { AosError } from '../errors.js';
import type { Db, Queryable, QueryResult } from './db.js';
import { checkChannel } from './channel.js';
import { acquireDirectoryLock } from './lock-file.js';
import { readTemplate } from './template.js';

function wrap(client: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    exec: async (sql: string) => {
      await client.exec(sql);
    },
    query: async <Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> => {
      const result = await client.query<Row>(sql, params as unknown[]);
      // PGlite reports affectedRows = 0 for a SELECT; pg reports the rows returned.
      return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
    },
  };
}

/**
 * Opens the embedded database. With a directory, data persists there and a lock file keeps a
 * second process out; without one, the database lives in memory (tests).
 *
 * @example
 * const db = await openPglite('./.aosiq/db');
 */
export async function openPglite(dataDir?: string): Promise<Db> {
  let release = () => {};
  if (dataDir !== undefined) {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    release = acquireDirectoryLock(path.join(dataDir, '..', `${path.basename(dataDir)}.lock`));
  }
  let client: PGlite;
  // A new database loads the built template (template.ts) rather than running initdb.
  const template = dataDir === undefined || !fs.existsSync(path.join(dataDir, 'PG_VERSION')) ? readTemplate() : null;
  const options = template ? { loadDataDir: template } : {};
  try {
    client = await (dataDir === undefined ? PGlite.create(options) : PGlite.create(dataDir, options));
  } catch (error) {
    release();
    throw new AosError(
      'STORE_UNAVAILABLE',
      `could not open the embedded database at ${dataDir ?? '(memory)'}: ${(error as Error).message}`,
      { dataDir },
      { cause: error },
    );
  }
  const base = wrap(client);
  return {
    kind: 'pglite',
    query: base.query,
    exec: base.exec,
    // PGlite is one connection: its transaction() queues callers, which serialises writers.
    transaction: (fn) => client.transaction((tx) => fn(wrap(tx))),
    listen: (channel, onNotify) => client.listen(checkChannel(channel), () => onNotify()),
    async close() {
      try {
        await client.close();
      } finally {
        release();
      }
    },
  };
}
