import { afterAll, beforeAll, describe } from 'vitest';
import type { Db } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite.js';
import { openPostgres } from '../../src/store/postgres.js';
import { createScratchDatabase } from './scratch-database.js';

const serverUrl = process.env.AOS_TEST_DATABASE_URL;
let noticeShown = false;
const TEST_POOL_SIZE = 20;

export type StoreKind = 'pglite' | 'postgres';

/** A fresh, migrated database of the given kind; PostgreSQL gets a database of its own. */
export async function createTestStore(kind: StoreKind): Promise<{ db: Db; drop: () => Promise<void> }> {
  if (kind === 'pglite') {
    const db = await openPglite();
    await migrate(db);
    return { db, drop: () => db.close() };
  }
  if (!serverUrl) throw new Error('AOS_TEST_DATABASE_URL is not set');
  const scratch = await createScratchDatabase(serverUrl, 'aosiq_test');
  // The runtime's default pool size, so the concurrency tests queue as production does (a call
  // that needed two connections at once would deadlock here, not there). Two test files run at a
  // time, each with its own pool: 80 each once took a server's 100 connections.
  const db = await openPostgres(scratch.url, TEST_POOL_SIZE);
  await migrate(db);
  return {
    db,
    async drop() {
      await db.close();
      await scratch.drop();
    },
  };
}

/** The store kinds this run covers: PGlite always, PostgreSQL when AOS_TEST_DATABASE_URL is set. */
export function storeKinds(): StoreKind[] {
  if (!serverUrl && !noticeShown) {
    noticeShown = true;
    console.warn(
      'NOTICE: AOS_TEST_DATABASE_URL is not set; the PostgreSQL half of the storage tests is skipped.',
    );
  }
  return serverUrl ? ['pglite', 'postgres'] : ['pglite'];
}

/**
 * Declares the same suite once per store kind, each with its own fresh database.
 *
 * @example
 * describeEachStore('audit chain', (store) => { it('appends', async () => { await store().db.query('SELECT 1'); }); });
 */
export function describeEachStore(
  title: string,
  body: (store: () => { db: Db; kind: StoreKind }) => void,
): void {
  for (const kind of ['pglite', 'postgres'] as const) {
    const enabled = storeKinds().includes(kind);
    (enabled ? describe : describe.skip)(`${title} [${kind}]`, () => {
      let current: { db: Db; drop: () => Promise<void> } | undefined;
      beforeAll(async () => {
        current = await createTestStore(kind);
      });
      afterAll(async () => {
        await current?.drop();
      });
      body(() => {
        if (!current) throw new Error('store not ready');
        return { db: current.db, kind };
      });
    });
  }
}
