import { lockSession } from '../audit/index.js';
import { AosError } from '../errors.js';
import { LIVE_STATES } from '../kernel/actor.js';
import { transitionActor } from '../kernel/transition.js';
import type { SyscallDeps } from './ports.js';

/**
 * Kills an actor and every live descendant, each with its own STATE_TRANSITION row, in one
 * transaction. Their tokens stop working at once: every call checks the actor row.
 *
 * @example
 * const killed = await kill(deps, { actorId: 'act_…', principal: 'alice', reason: 'runaway loop' });
 */
export async function kill(
  deps: SyscallDeps,
  request: { actorId: string; principal: string; reason: string },
): Promise<string[]> {
  const session = await deps.db.query<{ session_id: string }>('SELECT session_id FROM actors WHERE id = $1', [
    request.actorId,
  ]);
  const sessionId = session.rows[0]?.session_id;
  if (sessionId === undefined) {
    throw new AosError(
      'NOT_FOUND',
      `no actor with id "${request.actorId}"; list them with \`aosiq actors list\``,
      {
        actorId: request.actorId,
      },
    );
  }
  return deps.db.transaction(async (tx) => {
    await lockSession(tx, sessionId);
    const tree = await tx.query<{ id: string; state: string }>(
      `WITH RECURSIVE tree AS (
         SELECT id, state, 0 AS depth FROM actors WHERE id = $1
         UNION ALL
         SELECT a.id, a.state, tree.depth + 1 FROM actors a JOIN tree ON a.parent_id = tree.id
       ) SELECT id, state FROM tree ORDER BY depth DESC`,
      [request.actorId],
    );
    const root = tree.rows.find((row) => row.id === request.actorId)!;
    if (!LIVE_STATES.includes(root.state as never)) {
      throw new AosError('INVALID_TRANSITION', `actor ${request.actorId} is already ${root.state}`, {
        actorId: request.actorId,
        state: root.state,
      });
    }
    const killed: string[] = [];
    for (const actor of tree.rows) {
      if (!LIVE_STATES.includes(actor.state as never)) continue;
      const reason = actor.id === request.actorId ? request.reason : `ancestor ${request.actorId} was killed`;
      await transitionActor(tx, deps.clock, {
        actorId: actor.id,
        to: 'killed',
        principal: request.principal,
        reason,
      });
      killed.push(actor.id);
    }
    return killed;
  });
}
