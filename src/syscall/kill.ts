import { lockSession } from '../audit/index.js';
import { AosError, isAosError } from '../errors.js';
import { LIVE_STATES } from '../kernel/actor.js';
import { transitionActor } from '../kernel/transition.js';
import type { ActorState } from '../kernel/actor.js';

/** Live actors, and those waiting for a renewed token: a kill ends either for good. */
const KILLABLE: readonly string[] = [...LIVE_STATES, 'token_expired'] satisfies ActorState[];
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
    if (!KILLABLE.includes(root.state)) {
      throw new AosError('INVALID_TRANSITION', `actor ${request.actorId} is already ${root.state}`, {
        actorId: request.actorId,
        state: root.state,
      });
    }
    const killed: string[] = [];
    for (const actor of tree.rows) {
      if (!KILLABLE.includes(actor.state)) continue;
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

/**
 * The kill switch for many actors: every live actor of a session, or of a class (across all
 * sessions), each with its live descendants, as kill() does. Returns every actor killed.
 *
 * @example
 * const killed = await killAll(deps, { className: 'reviewer', principal: 'alice', reason: 'provider incident' });
 */
export async function killAll(
  deps: SyscallDeps,
  request: ({ sessionId: string; className?: undefined } | { className: string; sessionId?: undefined }) & { principal: string; reason: string },
): Promise<string[]> {
  if (request.className !== undefined && !deps.classes.has(request.className)) {
    throw new AosError('NOT_FOUND', `no actor class "${request.className}" (classes: ${[...deps.classes.keys()].join(', ')})`, { class: request.className });
  }
  // Oldest first: killing a parent takes its descendants with it, so they are skipped below.
  const { rows } = await deps.db.query<{ id: string }>(
    `SELECT id FROM actors WHERE state = ANY($1) AND ${request.sessionId !== undefined ? 'session_id' : 'class'} = $2
      ORDER BY delegation_depth, created_at`,
    [KILLABLE, request.sessionId ?? request.className],
  );
  const killed: string[] = [];
  const what = request.sessionId !== undefined ? `session ${request.sessionId}` : `class ${request.className}`;
  for (const { id } of rows) {
    if (killed.includes(id)) continue;
    try {
      killed.push(...(await kill(deps, { actorId: id, principal: request.principal, reason: `${what} was killed: ${request.reason}` })));
    } catch (error) {
      // Ended on its own (or by a concurrent kill) since the list was read.
      if (!isAosError(error, 'INVALID_TRANSITION')) throw error;
    }
  }
  return killed;
}
