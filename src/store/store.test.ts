import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEachStore } from '../../test/support/stores.js';
import { isAosError } from '../errors.js';
import { migrate } from './migrate.js';
import { openPglite } from './pglite.js';

describeEachStore('store', (store) => {
  it('records every migration once and applies nothing on a second run', async () => {
    const { db } = store();
    const rows = await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY version');
    expect(rows.rows.map((row) => row.name)).toContain('001_kernel');
    expect(await migrate(db)).toEqual([]);
  });

  it('rolls back a transaction that throws, leaving nothing half-written', async () => {
    const { db } = store();
    await db.exec('CREATE TABLE IF NOT EXISTS rollback_probe (n integer)');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO rollback_probe (n) VALUES (1)');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const count = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM rollback_probe');
    expect(count.rows[0]?.n).toBe(0);
  });

  it('returns int8 columns as numbers on both adapters', async () => {
    const { db } = store();
    const result = await db.query<{ n: number }>('SELECT 9007199254740991::bigint AS n');
    expect(result.rows[0]?.n).toBe(9007199254740991);
  });
});

describe('embedded data directory lock', () => {
  it('refuses a second open of the same directory and names the holder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-lock-'));
    const first = await openPglite(path.join(dir, 'db'));
    try {
      const error = await openPglite(path.join(dir, 'db')).catch((e: unknown) => e);
      expect(isAosError(error, 'STORE_LOCKED')).toBe(true);
    } finally {
      await first.close();
    }
    const again = await openPglite(path.join(dir, 'db'));
    await again.close();
  });

  it('takes over a lock left by a dead process', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-lock-'));
    fs.writeFileSync(path.join(dir, 'db.lock'), '999999999\n');
    const db = await openPglite(path.join(dir, 'db'));
    await db.close();
    expect(fs.existsSync(path.join(dir, 'db.lock'))).toBe(false);
  });
});

describe.skipIf(!process.env.AOS_TEST_DATABASE_URL)('migrations on a fresh PostgreSQL database', () => {
  it('are applied exactly once when several processes start together', async () => {
    const { createScratchDatabase } = await import('../../test/support/scratch-database.js');
    const { openPostgres } = await import('./postgres.js');
    const scratch = await createScratchDatabase(process.env.AOS_TEST_DATABASE_URL!, 'aosiq_migrate');
    const dbs = await Promise.all([1, 2, 3].map(() => openPostgres(scratch.url, 2)));
    try {
      const applied = await Promise.all(dbs.map((db) => migrate(db)));
      const all = fs
        .readdirSync(new URL('../../migrations/', import.meta.url))
        .filter((name) => name.endsWith('.sql'))
        .map((name) => name.slice(0, -'.sql'.length))
        .sort();
      expect(all.length).toBeGreaterThanOrEqual(6);
      expect(applied.flat().sort()).toEqual(all);
      const rows = await dbs[0]!.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      expect(rows.rows[0]?.n).toBe(all.length);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
      await scratch.drop();
    }
  });
});
