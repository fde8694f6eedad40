import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeEachStore } from '../../test/support/stores.js';
import { manualClock } from '../clock.js';
import { isAosError } from '../errors.js';
import { appendAuditEvents, recordAuditEvent } from './append.js';
import { type AuditEvent, GENESIS_HASH } from './event.js';
import { chainHash } from './hash.js';
import { ChainVerifier, verifyStoredChains } from './verify.js';

const clock = manualClock(new Date('2026-01-01T00:00:00Z'));

function event(sessionId: string, n: number) {
  return {
    sessionId,
    type: 'TOOL_CALL_STARTED' as const,
    actorId: 'act_1',
    principal: 'tester',
    payload: { tool: 'noop.run', n, nested: { b: [1, 2.5, 'x'], a: null } },
  };
}

describe('chain hash', () => {
  it('is SHA-256 over the previous hash bytes and the JCS of the event fields', async () => {
    const { createHash } = await import('node:crypto');
    const stored = {
      session_id: 's',
      chain_seq: 1,
      type: 'ACTOR_SPAWNED',
      actor_id: 'a',
      principal: 'p',
      payload: { z: 1, a: 'b' },
      at: '2026-01-01T00:00:00.000Z',
    };
    const jcs =
      '{"actor":"a","chain_seq":1,"payload":{"a":"b","z":1},"principal":"p","session_id":"s","timestamp":"2026-01-01T00:00:00.000Z","type":"ACTOR_SPAWNED"}';
    const expected = createHash('sha256').update(Buffer.alloc(32)).update(jcs).digest('hex');
    expect(chainHash(GENESIS_HASH, stored)).toBe(expected);
  });
});

describeEachStore('audit chain', (store) => {
  it('links each session from the genesis hash and verifies', async () => {
    const { db } = store();
    for (let i = 0; i < 3; i++) {
      await db.transaction((tx) => appendAuditEvents(tx, clock, [event('ses_a', i), event('ses_b', i)]));
    }
    const rows = await db.query<AuditEvent>(
      "SELECT * FROM audit_events WHERE session_id = 'ses_a' ORDER BY chain_seq",
    );
    expect(rows.rows.map((row) => Number(row.chain_seq))).toEqual([1, 2, 3]);
    expect(rows.rows[0]?.prev_hash).toBe(GENESIS_HASH);
    expect(rows.rows[1]?.prev_hash).toBe(rows.rows[0]?.hash);
    const report = await verifyStoredChains(db);
    expect(report).toMatchObject({ ok: true, firstBreak: null });
    expect(report.events).toBeGreaterThanOrEqual(6);
  });

  it('rolls an event back with its transaction', async () => {
    const { db } = store();
    await expect(
      db.transaction(async (tx) => {
        await appendAuditEvents(tx, clock, [event('ses_rollback', 1)]);
        throw new Error('effect failed');
      }),
    ).rejects.toThrow('effect failed');
    const count = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE session_id = 'ses_rollback'",
    );
    expect(count.rows[0]?.n).toBe(0);
  });

  it('names the first altered row after an SQL UPDATE of a payload', async () => {
    const { db } = store();
    for (let i = 0; i < 4; i++)
      await db.transaction((tx) => appendAuditEvents(tx, clock, [event('ses_tamper', i)]));
    await db.query(
      `UPDATE audit_events SET payload = jsonb_set(payload, '{n}', '99') WHERE session_id = 'ses_tamper' AND chain_seq = 3`,
    );
    const report = await verifyStoredChains(db, { sessionId: 'ses_tamper' });
    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({ session_id: 'ses_tamper', chain_seq: 3 });
    expect(report.firstBreak?.reason).toMatch(/altered/);
  });

  it('detects a deleted middle row and a rehashed row whose successor no longer links', async () => {
    const { db } = store();
    for (let i = 0; i < 4; i++)
      await db.transaction((tx) => appendAuditEvents(tx, clock, [event('ses_gap', i)]));
    await db.query(`DELETE FROM audit_events WHERE session_id = 'ses_gap' AND chain_seq = 2`);
    const gap = await verifyStoredChains(db, { sessionId: 'ses_gap' });
    expect(gap.firstBreak).toMatchObject({ chain_seq: 3 });
    expect(gap.firstBreak?.reason).toMatch(/missing/);

    for (let i = 0; i < 3; i++)
      await db.transaction((tx) => appendAuditEvents(tx, clock, [event('ses_rehash', i)]));
    const rows = await db.query<AuditEvent>(
      "SELECT * FROM audit_events WHERE session_id = 'ses_rehash' AND chain_seq = 2",
    );
    const forged = { ...rows.rows[0]!, payload: { forged: true } };
    await db.query(`UPDATE audit_events SET payload = $1::jsonb, hash = $2 WHERE id = $3`, [
      JSON.stringify(forged.payload),
      chainHash(forged.prev_hash, forged),
      forged.id,
    ]);
    const rehashed = await verifyStoredChains(db, { sessionId: 'ses_rehash' });
    expect(rehashed.firstBreak).toMatchObject({ chain_seq: 3 });
    expect(rehashed.firstBreak?.reason).toMatch(/prev_hash/);
  });

  it('recovers from a stale chain head left by a rolled-back transaction', async () => {
    const { db } = store();
    await recordAuditEvent(db, clock, event('ses_heal', 0));
    // The rolled-back append leaves this process believing the head is at chain_seq 2.
    await db
      .transaction(async (tx) => {
        await appendAuditEvents(tx, clock, [event('ses_heal', 1)]);
        throw new Error('abort');
      })
      .catch(() => undefined);
    const [second, third] = await Promise.all([
      recordAuditEvent(db, clock, event('ses_heal', 2)),
      recordAuditEvent(db, clock, event('ses_heal', 3)),
    ]);
    expect([second.chainSeq, third.chainSeq]).toEqual([2, 3]);
    expect(await verifyStoredChains(db, { sessionId: 'ses_heal' })).toMatchObject({ ok: true, events: 3 });
  });

  it('writes nothing for a guarded event whose actor does not exist', async () => {
    const { db } = store();
    const error = await recordAuditEvent(db, clock, event('ses_guard', 0), {
      actorId: 'act_ghost',
      jti: 'j',
    }).catch((e: unknown) => e);
    expect(isAosError(error, 'ACTOR_NOT_ALIVE')).toBe(true);
    const count = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE session_id = 'ses_guard'",
    );
    expect(count.rows[0]?.n).toBe(0);
  });

  it('reports a session with no events as zero sessions checked, so callers can tell it from a pass', async () => {
    const report = await verifyStoredChains(store().db, { sessionId: 'ses_nothing' });
    expect(report).toMatchObject({ sessions: 0, events: 0 });
  });

  it('keeps 64 concurrently appending sessions free of forks and gaps', async () => {
    const { db, kind } = store();
    const sessions = Array.from({ length: 64 }, (_, i) => `ses_race_${i}`);
    const perWriter = kind === 'postgres' ? 10 : 3;
    // Two writers per session, so appends to one chain really do race.
    await Promise.all(
      sessions.flatMap((session) =>
        [0, 1].map(async (writer) => {
          for (let i = 0; i < perWriter; i++) {
            await db.transaction((tx) => appendAuditEvents(tx, clock, [event(session, writer * 100 + i)]));
          }
        }),
      ),
    );
    const counts = await db.query<{ session_id: string; n: number; max: number }>(
      `SELECT session_id, count(*)::int AS n, max(chain_seq)::int AS max FROM audit_events
        WHERE session_id LIKE 'ses_race_%' GROUP BY session_id`,
    );
    expect(counts.rows).toHaveLength(64);
    for (const row of counts.rows) expect(row).toMatchObject({ n: perWriter * 2, max: perWriter * 2 });
    for (const session of sessions) {
      expect(await verifyStoredChains(db, { sessionId: session })).toMatchObject({
        ok: true,
        events: perWriter * 2,
      });
    }
  });
});

describe('ChainVerifier', () => {
  it('restarts at the genesis hash for each session', () => {
    const verifier = new ChainVerifier();
    const base = {
      id: 1,
      type: 'X',
      actor_id: null,
      principal: null,
      payload: {},
      at: '2026-01-01T00:00:00.000Z',
    };
    for (const session of ['a', 'b']) {
      const stored = { ...base, session_id: session, chain_seq: 1, prev_hash: GENESIS_HASH };
      expect(verifier.check({ ...stored, hash: chainHash(GENESIS_HASH, stored) })).toBe(true);
    }
    expect(verifier.report()).toMatchObject({ ok: true, sessions: 2, events: 2 });
  });
});

describeEachStore('group commit', (store) => {
  it('writes the rest of a batch when the database refuses one of its events', async () => {
    const { db } = store();
    // Passes every check in the process, but no btree index can hold a key this long.
    const tooLong = `ses_${randomBytes(50_000).toString('hex')}`;
    const results = await Promise.allSettled([
      recordAuditEvent(db, clock, event('ses_db_1', 1)),
      recordAuditEvent(db, clock, event('ses_db_2', 2)),
      recordAuditEvent(db, clock, event(tooLong, 3)),
      recordAuditEvent(db, clock, event('ses_db_4', 4)),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const written = await db.query<{ session_id: string }>(
      "SELECT session_id FROM audit_events WHERE session_id LIKE 'ses_db_%' ORDER BY session_id",
    );
    expect(written.rows.map((row) => row.session_id)).toEqual(['ses_db_1', 'ses_db_2', 'ses_db_4']);
  });

  it('rejects only the event that cannot be stored, and writes the others of its batch', async () => {
    const { db } = store();
    const good = (n: number) => recordAuditEvent(db, clock, event(`ses_batch_${n}`, n));
    const results = await Promise.allSettled([
      good(1),
      recordAuditEvent(db, clock, { ...event('ses_batch_bad', 0), payload: { text: 'nul\u0000' } }),
      good(3),
      recordAuditEvent(db, clock, { ...event('ses_batch_bad2', 0), payload: { text: 'x\ud800' } }),
      good(5),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    const written = await db.query<{ session_id: string }>(
      "SELECT session_id FROM audit_events WHERE session_id LIKE 'ses_batch_%' ORDER BY session_id",
    );
    expect(written.rows.map((row) => row.session_id)).toEqual(['ses_batch_1', 'ses_batch_3', 'ses_batch_5']);
  });
});

describe('chain hash over a precomputed payload', () => {
  it('equals the generic canonicalisation for arbitrary events', async () => {
    const fc = (await import('fast-check')).default;
    const { canonicalJson } = await import('../security/canonical/index.js');
    const text = fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\u0000'));
    fc.assert(
      fc.property(
        fc.record({
          session_id: text,
          chain_seq: fc.integer({ min: 1, max: 2 ** 40 }),
          type: text,
          actor_id: fc.option(text, { nil: null }),
          principal: fc.option(text, { nil: null }),
          payload: fc.dictionary(text, fc.jsonValue({ maxDepth: 3 })).filter((value) => {
            try {
              canonicalJson(value);
              return true;
            } catch {
              return false;
            }
          }),
          at: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
        }),
        (event) => {
          const payload = event.payload as AuditEvent['payload'];
          const stored = { ...event, payload };
          expect(chainHash(GENESIS_HASH, stored, canonicalJson(payload))).toBe(chainHash(GENESIS_HASH, stored));
        },
      ),
    );
  });
});
