/**
 * Leases: how a worker holds an actor while it runs it. A claim takes runnable actors with
 * `FOR UPDATE SKIP LOCKED` and bumps each one's lease epoch; every later write of that worker
 * (heartbeat, checkpoint, tool-call record, final transition) names the epoch and matches
 * zero rows once the lease was taken from it, and LEASE_LOST tells the worker to stop.
 * Lease times are the database's `now()`, never a worker's clock.
 */
import { appendAuditEvents, type AuditEventInput, lockSession } from '../audit/index.js';
import { storableText } from '../audit/redact.js';
import type { Clock } from '../clock.js';
import { AosError } from '../errors.js';
import type { JsonValue } from '../security/canonical/index.js';
import type { Grant } from '../security/capability/index.js';
import type { Db, Queryable } from '../store/db.js';
import type { ActorState } from './actor.js';

/** A worker's hold on one actor. */
export interface Lease {
  actorId: string;
  sessionId: string;
  className: string;
  epoch: number;
  worker: string;
  program: JsonValue;
  /** The claims the actor's token is re-minted from (its jti and expiry never change here). */
  mintClaims: JsonValue;
  tokenJti: string;
  grants: Grant[];
}

interface ClaimedRow {
  id: string;
  session_id: string;
  class: string;
  lease_epoch: string;
  program: JsonValue;
  mint_claims: JsonValue;
  token_jti: string;
  grants: Grant[];
}

/**
 * Claims up to `limit` runnable actors for `worker`, oldest first, each under a new epoch, and
 * records each claim (runnable → running) in the same transaction. Actors whose token has
 * expired are left for the sweep, which marks them recoverable, unless their class refreshes
 * tokens on dispatch (`refreshable`): the worker renews those.
 *
 * @example
 * const leases = await claimActors(db, clock, { worker: 'w1', leaseMs: 15000, limit: 4 });
 */
export async function claimActors(
  db: Db,
  clock: Clock,
  request: { worker: string; leaseMs: number; limit: number; refreshable?: readonly string[]; only?: readonly string[] },
): Promise<Lease[]> {
  if (request.limit < 1) return [];
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<ClaimedRow>(
      `WITH picked AS MATERIALIZED (
         SELECT id, session_id FROM actors
          WHERE state = 'runnable' AND program IS NOT NULL AND (token_expires_at > now() OR class = ANY($4::text[]))
            AND (not_before IS NULL OR not_before <= now())
            AND (cardinality($5::text[]) = 0 OR id = ANY($5::text[]))
          ORDER BY created_at, id LIMIT $2
          FOR UPDATE SKIP LOCKED),
       -- Never wait for a session lock while holding a row lock (kill and renew take them the
       -- other way round): a busy session is skipped like a locked row. Tried on the picked
       -- rows only (a separate materialized step), never on every row a plan might scan.
       locked AS MATERIALIZED (SELECT id FROM picked WHERE pg_try_advisory_xact_lock(hashtextextended(session_id, 0)))
       UPDATE actors a
          SET state = 'running', worker = $1, lease_epoch = a.lease_epoch + 1, not_before = NULL,
              lease_expires_at = now() + $3::integer * interval '1 millisecond', last_heartbeat = now(), updated_at = now()
         FROM locked
        WHERE a.id = locked.id AND a.state = 'runnable'
       RETURNING a.id, a.session_id, a.class, a.lease_epoch::text, a.program, a.mint_claims, a.token_jti, a.grants`,
      [request.worker, request.limit, request.leaseMs, request.refreshable ?? [], request.only ?? []],
    );
    const leases = rows.map((row) => ({
      actorId: row.id,
      sessionId: row.session_id,
      className: row.class,
      epoch: Number(row.lease_epoch),
      worker: request.worker,
      program: row.program,
      mintClaims: row.mint_claims,
      tokenJti: row.token_jti,
      grants: row.grants,
    }));
    await appendAuditEvents(
      tx,
      clock,
      leases.map((lease) => ({
        sessionId: lease.sessionId,
        type: 'STATE_TRANSITION' as const,
        actorId: lease.actorId,
        principal: null,
        payload: { from: 'runnable', to: 'running', reason: `claimed by worker ${lease.worker}`, worker: lease.worker, epoch: lease.epoch },
      })),
    );
    return leases;
  });
}

/**
 * Extends the lease. Zero rows (taken, killed, moved on) raises LEASE_LOST.
 *
 * @example
 * await heartbeat(db, lease, 15000);
 */
export async function heartbeat(db: Queryable, lease: Lease, leaseMs: number): Promise<void> {
  const updated = await db.query(
    `UPDATE actors SET last_heartbeat = now(), lease_expires_at = now() + $3::integer * interval '1 millisecond'
      WHERE id = $1 AND lease_epoch = $2 AND state = 'running'`,
    [lease.actorId, lease.epoch, leaseMs],
  );
  if (updated.rowCount === 0) throw leaseLost(lease);
}

/** How a run ends, or pauses, for the worker holding it. */
export type LeaseOutcome =
  | { to: 'completed'; result: JsonValue }
  | { to: 'failed'; reason: string; result?: JsonValue }
  | { to: 'abandoned_ungrounded'; reason: string }
  | { to: 'token_expired'; reason: string }
  /**
   * Suspended until the approval is decided. The syscall already moved the actor to
   * waiting_approval (and recorded it) when it filed the approval; this only drops the lease.
   */
  | { to: 'waiting_approval'; approvalId: string; reason: string }
  /** Back in the queue (a retry's back-off, or a worker shutting down). */
  | { to: 'runnable'; reason: string; notBefore?: Date };

const EVENT_TYPE: Partial<Record<ActorState, AuditEventInput['type']>> = {
  token_expired: 'TOKEN_EXPIRED_RECOVERABLE',
  abandoned_ungrounded: 'APP_AGENT_ABANDONED_UNGROUNDED',
};

/**
 * Ends the worker's hold: one UPDATE guarded by the epoch and the transition table, and its
 * audit row, in one transaction. LEASE_LOST when the lease is no longer this worker's.
 *
 * @example
 * await releaseLease(db, clock, lease, { to: 'completed', result: { steps: 3 } });
 */
export async function releaseLease(db: Db, clock: Clock, lease: Lease, outcome: LeaseOutcome): Promise<void> {
  if (outcome.to === 'waiting_approval') return suspend(db, clock, lease, outcome);
  const notBefore = outcome.to === 'runnable' ? (outcome.notBefore ?? null) : null;
  const result = outcome.to === 'completed' || outcome.to === 'failed' ? (outcome.result ?? null) : null;
  await db.transaction(async (tx) => {
    // The session lock before the row, in the order kill, renew and approvals take them.
    await lockSession(tx, lease.sessionId);
    const updated = await tx.query(
      `UPDATE actors a
          SET state = $3::text, worker = NULL, lease_expires_at = NULL, not_before = $4,
              result = COALESCE($5::jsonb, a.result), updated_at = now()
        WHERE a.id = $1 AND a.lease_epoch = $2 AND a.state = 'running'
          AND EXISTS (SELECT 1 FROM state_transitions WHERE from_state = 'running' AND to_state = $3::text)`,
      [lease.actorId, lease.epoch, outcome.to, notBefore, result === null ? null : JSON.stringify(result)],
    );
    if (updated.rowCount === 0) throw leaseLost(lease);
    const reason = outcome.to === 'completed' ? 'finished' : storableText(outcome.reason);
    await appendAuditEvents(tx, clock, [
      {
        sessionId: lease.sessionId,
        type: EVENT_TYPE[outcome.to] ?? 'STATE_TRANSITION',
        actorId: lease.actorId,
        principal: null,
        payload: {
          from: 'running',
          to: outcome.to,
          reason,
          worker: lease.worker,
          epoch: lease.epoch,
          ...(notBefore ? { not_before: notBefore.toISOString() } : {}),
        },
      },
    ]);
  });
}

/**
 * Drops the lease of an actor that waits for an approval. Filing a new approval already moved
 * it to waiting_approval (and recorded that); an identical request still pending did not, so
 * the move is made here. Zero rows is fine: the approval may be decided and the actor requeued.
 */
async function suspend(db: Db, clock: Clock, lease: Lease, outcome: Extract<LeaseOutcome, { to: 'waiting_approval' }>): Promise<void> {
  await db.transaction(async (tx) => {
    await lockSession(tx, lease.sessionId);
    const { rows } = await tx.query<{ from_state: string }>(
      `WITH old AS (SELECT id, state FROM actors WHERE id = $1 AND lease_epoch = $2 AND state IN ('running', 'waiting_approval') FOR UPDATE)
       UPDATE actors a SET state = 'waiting_approval', worker = NULL, lease_expires_at = NULL, updated_at = now()
         FROM old WHERE a.id = old.id
       RETURNING old.state AS from_state`,
      [lease.actorId, lease.epoch],
    );
    if (rows[0]?.from_state !== 'running') return;
    await appendAuditEvents(tx, clock, [
      {
        sessionId: lease.sessionId,
        type: 'STATE_TRANSITION',
        actorId: lease.actorId,
        principal: null,
        payload: { from: 'running', to: 'waiting_approval', reason: storableText(outcome.reason), worker: lease.worker, epoch: lease.epoch, approval_id: outcome.approvalId },
      },
    ]);
  });
}

/**
 * The latest checkpoint of an actor: the step to resume from and the state saved after it.
 *
 * @example
 * const last = await latestCheckpoint(db, 'act_…'); // { step: 2, state: {...} } or null
 */
export async function latestCheckpoint(db: Queryable, actorId: string): Promise<{ step: number; state: JsonValue } | null> {
  const { rows } = await db.query<{ step: number; state: JsonValue }>(
    'SELECT step, state FROM actor_checkpoints WHERE actor_id = $1 ORDER BY step DESC LIMIT 1',
    [actorId],
  );
  return rows[0] ?? null;
}

export function leaseLost(lease: Lease): AosError {
  return new AosError(
    'LEASE_LOST',
    `actor ${lease.actorId} is no longer running under lease epoch ${lease.epoch} of worker ${lease.worker}; this worker stops it`,
    { actorId: lease.actorId, epoch: lease.epoch, worker: lease.worker },
  );
}
