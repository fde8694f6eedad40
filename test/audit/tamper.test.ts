import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, expect, it } from 'vitest';
import { recordAuditEvent } from '../../src/audit/append.js';
import { FileAnchorSink, newAnchorStatus } from '../../src/audit/anchors/index.js';
import { generateNoteKey, parseSignerKey, parseVerifierKey } from '../../src/audit/checkpoint/index.js';
import { GENESIS_HASH } from '../../src/audit/event.js';
import { chainHash } from '../../src/audit/hash.js';
import { LogVerifier, type LogReport, readLoggedEvents, sealLog } from '../../src/audit/log/index.js';
import { manualClock } from '../../src/clock.js';
import type { Db } from '../../src/store/db.js';
import { createTestStore, storeKinds } from '../support/stores.js';
import { describe } from 'vitest';

const clock = manualClock(new Date('2026-07-01T00:00:00Z'));
const keys = generateNoteKey('aosiq-test/tamper');
const signer = parseSignerKey(keys.signerKey);
const verifier = parseVerifierKey(keys.verifierKey);

async function verify(db: Db, anchorDirectory: string): Promise<LogReport> {
  const log = new LogVerifier(await new FileAnchorSink(anchorDirectory).list(), verifier);
  for await (const event of readLoggedEvents(db)) if (!log.check(event)) break;
  return log.finish();
}

async function rowOf(db: Db, session: string, seq: number) {
  return (
    await db.query<{ id: number; log_index: number; hash: string }>(
      'SELECT id, log_index, hash FROM audit_events WHERE session_id = $1 AND chain_seq = $2',
      [session, seq],
    )
  ).rows[0]!;
}

// Each case gets a fresh database: three sessions of five events, sealed and anchored.
for (const kind of storeKinds()) {
  describe(`tamper suite [${kind}]`, () => {
    let db: Db;
    let drop: () => Promise<void>;
    let anchors: string;
    beforeEach(async () => {
      ({ db, drop } = await createTestStore(kind));
      anchors = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-tamper-'));
      for (let i = 0; i < 5; i++) {
        for (const session of ['ses_a', 'ses_b', 'ses_c']) {
          await recordAuditEvent(db, clock, { sessionId: session, type: 'TOOL_CALL_STARTED', actorId: 'act', principal: 'p', payload: { i } });
        }
      }
      const sinks = [new FileAnchorSink(anchors)];
      await sealLog(db, { signer, origin: 'aosiq-test/tamper', sinks, everyEvents: 1, everySeconds: 1, clock, status: newAnchorStatus(sinks), force: true });
      const clean = await verify(db, anchors);
      expect(clean).toMatchObject({ ok: true, events: 15, checkpointsVerified: 1 });
      return async () => drop();
    });

    it('names an event whose payload was updated', async () => {
      const target = await rowOf(db, 'ses_b', 3);
      await db.query(`UPDATE audit_events SET payload = '{"i": 99}' WHERE id = $1`, [target.id]);
      expect((await verify(db, anchors)).firstBreak).toMatchObject({ id: target.id, session_id: 'ses_b', chain_seq: 3 });
    });

    it('names the event after a row deleted mid-chain', async () => {
      const deleted = await rowOf(db, 'ses_a', 2);
      await db.query('DELETE FROM audit_events WHERE id = $1', [deleted.id]);
      // The hole is named where the log first skips a position.
      const report = await verify(db, anchors);
      expect(report.firstBreak).toMatchObject({ log_index: Number(deleted.log_index) + 1 });
      expect(report.firstBreak?.reason).toMatch(new RegExp(`expected log position ${deleted.log_index}`));
    });

    it('names a forged row inserted into the anchored log', async () => {
      // The forger links a new row to the end of ses_c and slides it into the log at position 7.
      const before = await rowOf(db, 'ses_c', 5);
      const forged = { session_id: 'ses_c', chain_seq: 6, type: 'TOOL_CALL_COMPLETED', actor_id: 'act', principal: 'p', payload: { forged: true }, at: '2026-07-01T00:00:00.000Z' };
      await db.query('UPDATE audit_events SET log_index = log_index + 100 WHERE log_index >= 7');
      await db.query('UPDATE audit_events SET log_index = log_index - 99 WHERE log_index >= 107');
      const inserted = await db.query<{ id: number }>(
        `INSERT INTO audit_events (session_id, chain_seq, prev_hash, hash, type, actor_id, principal, payload, at, log_index)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, 7) RETURNING id`,
        [forged.session_id, 6, before.hash, chainHash(before.hash, forged), forged.type, 'act', 'p', JSON.stringify(forged.payload), forged.at],
      );
      const report = await verify(db, anchors);
      expect(report.firstBreak).toMatchObject({ id: inserted.rows[0]!.id, session_id: 'ses_c', chain_seq: 6, log_index: 7 });
    });

    it('names two swapped rows', async () => {
      const first = await rowOf(db, 'ses_a', 4);
      const second = await rowOf(db, 'ses_a', 5);
      await db.query(
        `UPDATE audit_events SET payload = CASE id WHEN $1 THEN (SELECT payload FROM audit_events WHERE id = $2)
                                                     ELSE (SELECT payload FROM audit_events WHERE id = $1) END
          WHERE id IN ($1, $2)`,
        [first.id, second.id],
      );
      expect((await verify(db, anchors)).firstBreak).toMatchObject({ id: first.id, chain_seq: 4 });
    });

    it('detects the newest rows truncated after an anchor', async () => {
      await db.query('DELETE FROM audit_events WHERE log_index >= 12');
      const report = await verify(db, anchors);
      expect(report.ok).toBe(false);
      expect(report.firstBreak?.reason).toMatch(/holds 12 events but a checkpoint of size 15 is anchored/);
    });

    it('detects a whole session deleted', async () => {
      await db.query("DELETE FROM audit_events WHERE session_id = 'ses_b'");
      const report = await verify(db, anchors);
      expect(report.ok).toBe(false);
      expect(report.firstBreak?.reason).toMatch(/log position|anchored/);
    });

    it('detects a chain rewritten consistently by someone with the database but not the checkpoint key', async () => {
      // Rewrite ses_c from its first row: new payloads, valid links and hashes, same positions.
      const rows = (await db.query<{ id: number; chain_seq: number; at: string; actor_id: string; principal: string; type: string }>(
        "SELECT id, chain_seq, at, actor_id, principal, type FROM audit_events WHERE session_id = 'ses_c' ORDER BY chain_seq",
      )).rows;
      let prev = GENESIS_HASH;
      for (const row of rows) {
        const event = { session_id: 'ses_c', chain_seq: Number(row.chain_seq), type: row.type, actor_id: row.actor_id, principal: row.principal, payload: { rewritten: true }, at: row.at };
        const hash = chainHash(prev, event);
        await db.query('UPDATE audit_events SET payload = $1::jsonb, prev_hash = $2, hash = $3 WHERE id = $4', [JSON.stringify(event.payload), prev, hash, row.id]);
        prev = hash;
      }
      const report = await verify(db, anchors);
      expect(report.ok).toBe(false);
      expect(report.firstBreak?.reason).toMatch(/root at size 15 differs from the anchored checkpoint/);
    });
  });
}
