import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/store/pglite.js';
import { createScratchDatabase, withClient } from '../support/scratch-database.js';
import { copyTempDir, exitCodeOf, makeTempDir, parseJson, removeTempDirs, runCli } from './cli-process.js';

const serverUrl = process.env.AOS_TEST_DATABASE_URL;

/** The row the tampering rewrites: the demonstration's first denied call, mid-chain. */
const TAMPER_SQL = `UPDATE audit_events SET payload = jsonb_set(payload, '{tool}', '"fs.list"')
  WHERE id = (SELECT id FROM audit_events WHERE type = 'CAPABILITY_DENIED' ORDER BY id LIMIT 1)
  RETURNING session_id, chain_seq`;

interface Tampered {
  session_id: string;
  chain_seq: string | number;
}

afterAll(removeTempDirs);

/**
 * Runs `start`, checks the log verifies, tampers through `tamper`, and checks verify names the row.
 * With `copyFolder`, the untouched log is verified in a copy of the folder while the original is
 * tampered with and verified, at the same time; a server database is shared, so it goes in turn.
 */
async function expectTamperingCaught(
  store: 'pglite' | 'postgres',
  env: Record<string, string>,
  tamper: (dir: string) => Promise<Tampered>,
  { copyFolder = false } = {},
): Promise<void> {
  const dir = makeTempDir();
  const started = await runCli(dir, ['start', '--no-serve'], env);
  expect(started.code, started.stderr).toBe(0);
  expect(started.stdout).toContain(`(${store}), applied migrations`);

  const untouched = copyFolder ? copyTempDir(dir) : undefined;
  const verifyClean = async () => {
    const clean = await runCli(untouched ?? dir, ['audit', 'verify', '--json'], env);
    expect(clean.code, clean.stderr).toBe(0);
    const report = parseJson<{ ok: boolean; events: number; firstBreak: unknown }>(clean);
    expect(report.ok).toBe(true);
    expect(report.firstBreak).toBeNull();
    expect(report.events).toBeGreaterThan(3);
  };
  const verifyTampered = async () => {
    const row = await tamper(dir);
    const broken = await runCli(dir, ['audit', 'verify'], env);
    expect(broken.code, broken.stderr).toBe(exitCodeOf('AUDIT_CHAIN_BROKEN'));
    expect(broken.stderr).toContain(`(session ${row.session_id}, chain_seq ${row.chain_seq}, log position`);
    expect(broken.stderr).toContain('the row was altered');
  };
  if (untouched === undefined) {
    await verifyClean();
    await verifyTampered();
  } else {
    await Promise.all([verifyClean(), verifyTampered()]);
  }
}

describe('aosiq audit verify after someone edits the database', () => {
  it('names the altered row in the embedded database', async () => {
    await expectTamperingCaught('pglite', {}, async (dir) => {
      // The CLI has exited, so its lock on the data directory is free.
      const db = await openPglite(path.join(dir, '.aosiq', 'db'));
      try {
        const { rows } = await db.query<Tampered>(TAMPER_SQL);
        expect(rows).toHaveLength(1);
        return rows[0] as Tampered;
      } finally {
        await db.close();
      }
    }, { copyFolder: true });
  }, 120_000);

  describe.skipIf(!serverUrl)('on PostgreSQL (AOS_TEST_DATABASE_URL)', () => {
    let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
    afterAll(async () => {
      await scratch?.drop();
    });

    it('names the altered row in a PostgreSQL database', async () => {
      scratch = await createScratchDatabase(serverUrl ?? '', 'aosiq_cli');
      const databaseUrl = scratch.url;
      await expectTamperingCaught('postgres', { AOS_DATABASE_URL: databaseUrl }, async () => {
        const { rows } = await withClient(databaseUrl, (client) => client.query<Tampered>(TAMPER_SQL));
        expect(rows).toHaveLength(1);
        return rows[0] as Tampered;
      });
    }, 120_000);
  });
});
