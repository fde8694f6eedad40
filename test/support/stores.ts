import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import type { Db } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite.js';
import { openPostgres } from '../../src/store/postgres.js';

const serverUrl = process.env.AOS_TEST_DATABASE_URL;
let noticeShown = false;

export type StoreKind = 'pglite' | 'postgres';

/** A fresh, migrated database of the given kind; PostgreSQL gets a database of its own. */
export async function createTestStore(kind: StoreKind): Promise<{ db: Db; drop: () => Promise<void> }> {
  if (kind === 'pglite') {
    const db = await openPglite();
    await migrate(db);
    return { db, drop: () => db.close() };
  }
  if (!serverUrl) throw new Error('AOS_TEST_DATABASE_URL is not set');
  const name = `aosiq_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString(), 80);
  await migrate(db);
  return {
    db,
    async drop() {
      await db.close();
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
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
