import type { Clock } from '../clock.js';
import type { Queryable } from '../store/db.js';
import { type AuditEventInput, GENESIS_HASH } from './event.js';
import { chainHash } from './hash.js';

/**
 * Serialises writers of one session's chain until the transaction ends. Taking it twice in one
 * transaction is harmless, so callers that must read-then-write under it take it first.
 */
export async function lockSession(tx: Queryable, sessionId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [sessionId]);
}

/**
 * Appends events to their sessions' chains inside the caller's transaction, so each event
 * commits or rolls back with the state change it records. Sessions are locked in sorted order
 * so two transactions touching the same sessions cannot deadlock.
 *
 * @example
 * await db.transaction((tx) => appendAuditEvents(tx, clock, [{ sessionId, type: 'ACTOR_SPAWNED', ... }]));
 */
export async function appendAuditEvents(
  tx: Queryable,
  clock: Clock,
  events: readonly AuditEventInput[],
): Promise<{ sessionId: string; chainSeq: number; hash: string }[]> {
  const sessions = [...new Set(events.map((event) => event.sessionId))].sort();
  for (const session of sessions) await lockSession(tx, session);
  const heads = await tx.query<{ session_id: string; chain_seq: number; hash: string }>(
    `SELECT DISTINCT ON (session_id) session_id, chain_seq, hash FROM audit_events
      WHERE session_id = ANY($1::text[]) ORDER BY session_id, chain_seq DESC`,
    [sessions],
  );
  const head = new Map(sessions.map((session) => [session, { seq: 0, hash: GENESIS_HASH }]));
  for (const row of heads.rows) head.set(row.session_id, { seq: Number(row.chain_seq), hash: row.hash });

  const at = clock.now().toISOString();
  const rows: unknown[] = [];
  const written: { sessionId: string; chainSeq: number; hash: string }[] = [];
  for (const event of events) {
    const previous = head.get(event.sessionId)!;
    const stored = {
      session_id: event.sessionId,
      chain_seq: previous.seq + 1,
      type: event.type,
      actor_id: event.actorId,
      principal: event.principal,
      payload: event.payload,
      at,
    };
    const hash = chainHash(previous.hash, stored);
    rows.push(
      stored.session_id,
      stored.chain_seq,
      previous.hash,
      hash,
      stored.type,
      stored.actor_id,
      stored.principal,
      JSON.stringify(stored.payload),
      at,
    );
    head.set(event.sessionId, { seq: stored.chain_seq, hash });
    written.push({ sessionId: event.sessionId, chainSeq: stored.chain_seq, hash });
  }
  const placeholders = events.map((_, i) => {
    const base = i * 9;
    return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7}, $${base + 8}::jsonb, $${base + 9})`;
  });
  await tx.query(
    `INSERT INTO audit_events (session_id, chain_seq, prev_hash, hash, type, actor_id, principal, payload, at)
     VALUES ${placeholders.join(', ')}`,
    rows,
  );
  return written;
}
