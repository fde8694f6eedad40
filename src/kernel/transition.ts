import { appendAuditEvents } from '../audit/index.js';
import type { Clock } from '../clock.js';
import { AosError } from '../errors.js';
import type { Queryable } from '../store/db.js';
import type { ActorState } from './actor.js';

/**
 * Moves an actor to a new state with one UPDATE guarded by the state_transitions table, and
 * records STATE_TRANSITION in the same transaction. An invalid move matches zero rows and
 * raises INVALID_TRANSITION naming both states.
 *
 * @example
 * await db.transaction((tx) => transitionActor(tx, clock, { actorId, to: 'killed', principal: 'ops', reason: 'runaway' }));
 */
export async function transitionActor(
  tx: Queryable,
  clock: Clock,
  change: { actorId: string; to: ActorState; principal: string | null; reason: string },
): Promise<{ from: ActorState; to: ActorState; sessionId: string }> {
  // Lock the row first so the "from" state we record is the one we actually moved from, even
  // when another transaction changed it a moment ago.
  const current = await tx.query<{ state: ActorState; session_id: string }>(
    'SELECT state, session_id FROM actors WHERE id = $1 FOR UPDATE',
    [change.actorId],
  );
  const row = current.rows[0];
  if (!row)
    throw new AosError('NOT_FOUND', `no actor with id "${change.actorId}"`, { actorId: change.actorId });
  const updated = await tx.query(
    `UPDATE actors SET state = $2, updated_at = now()
      WHERE id = $1 AND state = $3
        AND EXISTS (SELECT 1 FROM state_transitions WHERE from_state = $3 AND to_state = $2)`,
    [change.actorId, change.to, row.state],
  );
  if (updated.rowCount === 0) {
    throw new AosError(
      'INVALID_TRANSITION',
      `actor ${change.actorId} is ${row.state}; the move ${row.state} → ${change.to} is not allowed`,
      { actorId: change.actorId, from: row.state, to: change.to },
    );
  }
  await appendAuditEvents(tx, clock, [
    {
      sessionId: row.session_id,
      type: 'STATE_TRANSITION',
      actorId: change.actorId,
      principal: change.principal,
      payload: { from: row.state, to: change.to, reason: change.reason },
    },
  ]);
  return { from: row.state, to: change.to, sessionId: row.session_id };
}
