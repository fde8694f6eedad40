import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { recordAuditEvent } from '../../src/audit/append.js';
import { generateNoteKey, parseSignerKey } from '../../src/audit/checkpoint/index.js';
import {
  buildProofFile,
  integrate,
  readLogState,
  sealLog,
  verifyProofFile,
  writeCheckpoint,
} from '../../src/audit/log/index.js';
import { leafHash, rootFromLeafHashes } from '../../src/audit/merkle/index.js';
import { manualClock } from '../../src/clock.js';
import { isAosError } from '../../src/errors.js';
import type { Db } from '../../src/store/db.js';
import { FileAnchorSink, newAnchorStatus } from '../../src/audit/anchors/index.js';
import { describeEachStore } from '../support/stores.js';

const clock = manualClock(new Date('2026-06-01T00:00:00Z'));
const keys = generateNoteKey('aosiq-test/log');
const signer = parseSignerKey(keys.signerKey);

async function appendEvents(db: Db, sessions: number, perSession: number): Promise<void> {
  await Promise.all(
    Array.from({ length: sessions }, async (_, s) => {
      for (let i = 0; i < perSession; i++) {
        await recordAuditEvent(db, clock, {
          sessionId: `ses_log_${s}`,
          type: 'TOOL_CALL_STARTED',
          actorId: null,
          principal: 'tester',
          payload: { n: i },
        });
      }
    }),
  );
}

async function leavesInLogOrder(db: Db): Promise<Uint8Array[]> {
  const rows = await db.query<{ hash: string; log_index: number }>(
    'SELECT hash, log_index FROM audit_events WHERE log_index IS NOT NULL ORDER BY log_index',
  );
  rows.rows.forEach((row, i) => expect(Number(row.log_index)).toBe(i));
  return rows.rows.map((row) => leafHash(Buffer.from(row.hash, 'hex')));
}

function sealOptions(anchorDirectory: string) {
  const sinks = [new FileAnchorSink(anchorDirectory)];
  return { signer, origin: 'aosiq-test/log', sinks, everyEvents: 10, everySeconds: 3600, clock, status: newAnchorStatus(sinks) };
}

describeEachStore('transparency log', (store) => {
  it('gives every committed event one dense position and keeps the root of exactly those leaves', async () => {
    const { db } = store();
    await appendEvents(db, 16, 5);
    const first = await integrate(db);
    await appendEvents(db, 8, 3);
    const second = await integrate(db);
    expect(first.integrated).toBe(80);
    expect(second).toEqual({ integrated: 24, size: 104 });
    const leaves = await leavesInLogOrder(db);
    const { tree } = await readLogState(db);
    expect(Buffer.from(tree.root()).equals(Buffer.from(rootFromLeafHashes(leaves)))).toBe(true);
  });

  it('proves any event offline, and any changed byte of the proof makes it fail', async () => {
    const { db } = store();
    await appendEvents(db, 3, 4);
    await integrate(db);
    await writeCheckpoint(db, signer, 'aosiq-test/log');
    const id = (await db.query<{ id: number }>('SELECT id FROM audit_events WHERE log_index = 5')).rows[0]!.id;
    const proof = await buildProofFile(db, Number(id));
    expect(verifyProofFile(proof, keys.verifierKey)).toMatchObject({ logIndex: 5, origin: 'aosiq-test/log' });
    const bytes = Buffer.from(proof, 'utf8');
    for (let i = 0; i < bytes.length; i++) {
      const altered = Buffer.from(bytes);
      altered[i] = altered[i]! ^ 0x01;
      expect(() => verifyProofFile(altered.toString('utf8'), keys.verifierKey), `byte ${i}`).toThrow();
    }
    const otherKey = generateNoteKey('aosiq-test/log').verifierKey;
    expect(() => verifyProofFile(proof, otherKey)).toThrow(/does not verify/);
  });

  it('keeps working while the anchor store is down, counts it, and catches up when it returns', async () => {
    const { db } = store();
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-anchors-'));
    const directory = path.join(parent, 'anchors');
    fs.writeFileSync(directory, 'not a directory'); // the store is "down": nothing can be written there
    const options = sealOptions(directory);
    for (let round = 0; round < 3; round++) {
      await appendEvents(db, 2, 5);
      await sealLog(db, { ...options, force: true });
    }
    expect(options.status).toMatchObject({ successes: 0, failures: 3, anchoredSize: 0 });
    fs.rmSync(directory);
    const { checkpoint } = await sealLog(db, options);
    // Every checkpoint signed while the store was down (and any before) is anchored now.
    const signed = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM checkpoints')).rows[0]!.n;
    expect(signed).toBeGreaterThanOrEqual(3);
    expect(options.status.successes).toBe(signed);
    expect(options.status.anchoredSize).toBe(checkpoint?.size);
    expect(fs.readdirSync(directory)).toHaveLength(signed);
  });
  // Last: it leaves this store's log deliberately damaged.
  it('refuses to sign a checkpoint over a log that no longer extends the last one', async () => {
    const { db } = store();
    await appendEvents(db, 2, 3);
    await integrate(db);
    expect(await writeCheckpoint(db, signer, 'aosiq-test/log')).not.toBeNull();
    // An attacker with database access rewrites a stored subtree hash, then more events arrive.
    await db.query("UPDATE merkle_nodes SET hash = repeat('ab', 32) WHERE level = 0 AND idx = 0");
    await db.query("UPDATE log_state SET edge = repeat('cd', 32) || substr(edge, 65)");
    await appendEvents(db, 1, 1);
    await integrate(db);
    const error = await writeCheckpoint(db, signer, 'aosiq-test/log').catch((e: unknown) => e);
    expect(isAosError(error, 'AUDIT_CHAIN_BROKEN')).toBe(true);
  });
});
