/**
 * The sweep every worker runs: orphans back to the queue, suspended actors whose approval was
 * decided back to the queue, and actors whose token ran out moved to a recoverable state.
 * Each move is one guarded UPDATE over rows locked with SKIP LOCKED (so sweeps of several
 * workers never collide) and its audit rows, in one transaction. The session lock is only
 * tried, never waited for while a row is held: kill and renew take the two the other way
 * round, and a busy session is simply left for the next sweep.
 */
import { appendAuditEvents } from '../audit/index.js';
import type { Clock } from '../clock.js';
import type { JsonValue } from '../security/canonical/index.js';
import type { Db, Queryable } from '../store/db.js';

export interface SweepResult {
  /** Running actors whose worker stopped heartbeating, requeued under a new epoch. */
  recovered: string[];
  /** Suspended actors none of whose approvals is still pending (they ran out), requeued. */
  resumed: string[];
  /** Actors whose token expired before they could run, now token_expired (renewable). */
  expired: string[];
}

/**
 * One sweep, at most `limit` actors per kind.
 *
 * @example
 * const { recovered } = await sweep(db, clock, { limit: 100 });
 */
export async function sweep(db: Db, clock: Clock, options: { limit: number; refreshable?: readonly string[] }): Promise<SweepResult> {
  return {
    recovered: await recoverOrphans(db, clock, options.limit),
    resumed: await resumeDecided(db, clock, options.limit),
    expired: await expireTokens(db, clock, options.limit, options.refreshable ?? []),
  };
}

async function recoverOrphans(db: Db, clock: Clock, limit: number): Promise<string[]> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string; session_id: string; worker: string | null; lease_epoch: string; expired_at: Date }>(
      `WITH candidates AS MATERIALIZED (
         SELECT id, session_id, worker, lease_expires_at FROM actors
          WHERE state = 'running' AND program IS NOT NULL AND lease_expires_at < now()
          ORDER BY lease_expires_at LIMIT $1
          FOR UPDATE SKIP LOCKED),
       picked AS MATERIALIZED (SELECT * FROM candidates WHERE pg_try_advisory_xact_lock(hashtextextended(session_id, 0)))
       UPDATE actors a
          SET state = 'runnable', lease_epoch = a.lease_epoch + 1, worker = NULL, lease_expires_at = NULL, updated_at = now()
         FROM picked
        WHERE a.id = picked.id AND a.state = 'running' AND a.lease_expires_at < now()
       RETURNING a.id, a.session_id, picked.worker, a.lease_epoch::text, picked.lease_expires_at AS expired_at`,
      [limit],
    );
    const events = [];
    for (const row of rows) {
      events.push({
        sessionId: row.session_id,
        type: 'STATE_TRANSITION' as const,
        actorId: row.id,
        principal: null,
        payload: {
          from: 'running',
          to: 'runnable',
          reason: `worker ${row.worker ?? '?'} stopped heartbeating; its lease ran out at ${new Date(row.expired_at).toISOString()}`,
          worker: row.worker,
          epoch: Number(row.lease_epoch),
          lease_expired_at: new Date(row.expired_at).toISOString(),
          // Calls that started and never recorded an outcome: their effect may or may not have happened.
          unfinished_calls: await unfinishedCalls(tx, row.session_id, row.id),
        },
      });
    }
    await appendAuditEvents(tx, clock, events);
    return rows.map((row) => row.id);
  });
}

/** TOOL_CALL_STARTED rows of an actor with no TOOL_CALL_COMPLETED or TOOL_CALL_FAILED for them. */
async function unfinishedCalls(tx: Queryable, sessionId: string, actorId: string): Promise<JsonValue[]> {
  const { rows } = await tx.query<{ call_id: string; tool: string }>(
    `SELECT s.session_id || ':' || s.chain_seq AS call_id, s.payload->>'tool' AS tool
       FROM audit_events s
      WHERE s.session_id = $1 AND s.actor_id = $2 AND s.type = 'TOOL_CALL_STARTED'
        AND NOT EXISTS (SELECT 1 FROM audit_events o
                         WHERE o.session_id = s.session_id AND o.type IN ('TOOL_CALL_COMPLETED', 'TOOL_CALL_FAILED')
                           AND o.payload->>'call_id' = s.session_id || ':' || s.chain_seq)
      ORDER BY s.chain_seq`,
    [sessionId, actorId],
  );
  return rows.map((row) => ({ call_id: row.call_id, tool: row.tool }));
}

async function resumeDecided(db: Db, clock: Clock, limit: number): Promise<string[]> {
  return db.transaction(async (tx) => {
    // Deciding an approval requeues its actor at once (approvals/decide.ts); this catches the
    // ones that ran out with nobody deciding. The retried call then learns APPROVAL_EXPIRED.
    const { rows } = await tx.query<{ id: string; session_id: string }>(
      `WITH candidates AS MATERIALIZED (
         SELECT a.id, a.session_id FROM actors a
          WHERE a.state = 'waiting_approval' AND a.program IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM approvals ap WHERE ap.actor_id = a.id AND ap.status = 'pending'
                             AND (ap.expires_at IS NULL OR ap.expires_at > now()))
          LIMIT $1
          FOR UPDATE SKIP LOCKED),
       picked AS MATERIALIZED (SELECT id FROM candidates WHERE pg_try_advisory_xact_lock(hashtextextended(session_id, 0)))
       UPDATE actors a SET state = 'runnable', updated_at = now()
         FROM picked
        WHERE a.id = picked.id AND a.state = 'waiting_approval'
       RETURNING a.id, a.session_id`,
      [limit],
    );
    await appendAuditEvents(
      tx,
      clock,
      rows.map((row) => ({
        sessionId: row.session_id,
        type: 'STATE_TRANSITION' as const,
        actorId: row.id,
        principal: null,
        payload: { from: 'waiting_approval', to: 'runnable', reason: 'its approval ran out before anyone decided it' },
      })),
    );
    return rows.map((row) => row.id);
  });
}

/** Classes in `refreshable` get a new token when dispatched instead (kernel/worker.ts). */
async function expireTokens(db: Db, clock: Clock, limit: number, refreshable: readonly string[]): Promise<string[]> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string; session_id: string; from_state: string; token_expires_at: Date }>(
      `WITH candidates AS MATERIALIZED (
         SELECT id, session_id, state FROM actors
          WHERE state IN ('runnable', 'waiting_approval') AND program IS NOT NULL AND token_expires_at <= now()
            AND NOT (class = ANY($2::text[]))
          LIMIT $1
          FOR UPDATE SKIP LOCKED),
       picked AS MATERIALIZED (SELECT id, state FROM candidates WHERE pg_try_advisory_xact_lock(hashtextextended(session_id, 0)))
       UPDATE actors a SET state = 'token_expired', updated_at = now()
         FROM picked
        WHERE a.id = picked.id AND a.state = picked.state
       RETURNING a.id, a.session_id, picked.state AS from_state, a.token_expires_at`,
      [limit, refreshable],
    );
    await appendAuditEvents(
      tx,
      clock,
      rows.map((row) => ({
        sessionId: row.session_id,
        type: 'TOKEN_EXPIRED_RECOVERABLE' as const,
        actorId: row.id,
        principal: null,
        payload: {
          from: row.from_state,
          to: 'token_expired',
          reason: `its capability token expired at ${new Date(row.token_expires_at).toISOString()}; renew it with \`aosiq actors renew ${row.id}\``,
        },
      })),
    );
    return rows.map((row) => row.id);
  });
}
