import type { Queryable } from '../store/db.js';
import type { ActorRow } from './actor.js';

/**
 * Actors, newest first, optionally of one session.
 *
 * @example
 * const actors = await listActors(db, { sessionId: 'ses_…' });
 */
export async function listActors(
  db: Queryable,
  filter: { sessionId?: string | undefined; limit?: number } = {},
): Promise<ActorRow[]> {
  const rows = await db.query<ActorRow>(
    `SELECT id, session_id, class, kind, parent_id, state, token_jti, grants, delegation_depth, token_expires_at,
            principal, program, lease_epoch::int, worker, last_heartbeat, created_at, updated_at
       FROM actors WHERE ($1::text IS NULL OR session_id = $1) ORDER BY created_at DESC, id LIMIT $2`,
    [filter.sessionId ?? null, filter.limit ?? 50],
  );
  return rows.rows;
}
