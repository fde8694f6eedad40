import { appendAuditEvents, lockSession } from '../audit/index.js';
import { AosError } from '../errors.js';
import { type ActorState, LIVE_STATES, newId } from '../kernel/actor.js';
import type { MintClaims } from '../security/capability/index.js';
import type { SyscallDeps } from './ports.js';

export interface Renewal {
  actorId: string;
  token: string;
  jti: string;
  /** What the token was minted from (stored as the actor's mint_claims). */
  claims: MintClaims;
  expiresAt: Date;
  /** The state it was in and is in now (token_expired becomes runnable). */
  from: ActorState;
  to: ActorState;
}

/**
 * Re-mints an actor's token: same grants, session, class and parent, a new jti and a fresh
 * lifetime of its class's TTL. The old token stops working at once (its jti no longer matches
 * the actor row). An actor in token_expired goes back to runnable, so a worker resumes it from
 * its last checkpoint. Recorded as TOKEN_RENEWED with both jtis; the token itself never is.
 *
 * @example
 * const { token } = await renew(deps, { actorId: 'act_…', principal: 'alice', reason: 'approval took all night' });
 */
export async function renew(
  deps: SyscallDeps,
  request: { actorId: string; principal: string; reason: string; notAfter?: Date; epoch?: number },
): Promise<Renewal> {
  const found = await deps.db.query<{ session_id: string; class: string; state: ActorState; mint_claims: MintClaims | null; parent_state: ActorState | null; parent_expires: Date | null }>(
    `SELECT a.session_id, a.class, a.state, a.mint_claims, p.state AS parent_state, p.token_expires_at AS parent_expires
       FROM actors a LEFT JOIN actors p ON p.id = a.parent_id WHERE a.id = $1`,
    [request.actorId],
  );
  const actor = found.rows[0];
  if (!actor) {
    throw new AosError('NOT_FOUND', `no actor with id "${request.actorId}"; list them with \`aosiq actors list\``, { actorId: request.actorId });
  }
  if (actor.state !== 'token_expired' && !LIVE_STATES.includes(actor.state)) {
    throw new AosError('INVALID_TRANSITION', `actor ${request.actorId} is ${actor.state}; only a live or token_expired actor can be renewed`, {
      actorId: request.actorId,
      state: actor.state,
    });
  }
  if (!actor.mint_claims) {
    throw new AosError('INVALID_TRANSITION', `actor ${request.actorId} was spawned before tokens could be renewed; spawn a new one`, { actorId: request.actorId });
  }
  const cls = deps.classes.get(actor.class);
  if (!cls) {
    throw new AosError('CONFIG_INVALID', `actor ${request.actorId} is of class "${actor.class}", which is no longer in aosiq.yaml`, { class: actor.class });
  }
  const jti = newId('jti');
  // A child never outlives its parent's authority: a dead parent blocks the renewal, a live
  // one caps it at its own token's expiry.
  if (actor.parent_state !== null && !LIVE_STATES.includes(actor.parent_state)) {
    throw new AosError('INVALID_TRANSITION', `actor ${request.actorId}'s parent is ${actor.parent_state}; a child cannot be renewed past its parent`, { actorId: request.actorId });
  }
  let exp = Math.floor(deps.clock.now().getTime() / 1000) + cls.tokenTtlSeconds;
  if (request.notAfter) exp = Math.min(exp, Math.floor(request.notAfter.getTime() / 1000));
  if (actor.parent_expires) exp = Math.min(exp, Math.floor(new Date(actor.parent_expires).getTime() / 1000));
  const claims: MintClaims = { ...actor.mint_claims, jti, exp };
  const { token } = await deps.tokens.mint(claims);
  const expiresAt = new Date(claims.exp * 1000);
  return deps.db.transaction(async (tx) => {
    await lockSession(tx, actor.session_id);
    const updated = await tx.query<{ old_jti: string; from_state: ActorState; state: ActorState }>(
      `UPDATE actors a
          SET token_jti = $2, token_expires_at = $3, mint_claims = $4::jsonb,
              state = CASE WHEN a.state = 'token_expired' THEN 'runnable' ELSE a.state END, updated_at = now()
         FROM (SELECT id, token_jti AS old_jti, state AS from_state FROM actors WHERE id = $1 FOR UPDATE) old
        WHERE a.id = old.id AND a.state = $5 AND ($6::bigint IS NULL OR a.lease_epoch = $6)
       RETURNING old.old_jti, old.from_state, a.state`,
      [request.actorId, jti, expiresAt, JSON.stringify(claims), actor.state, request.epoch ?? null],
    );
    const row = updated.rows[0];
    if (!row && request.epoch !== undefined) {
      throw new AosError('LEASE_LOST', `actor ${request.actorId} is no longer running under lease epoch ${request.epoch}; its token is not this worker's to renew`, { actorId: request.actorId });
    }
    if (!row) {
      throw new AosError('CONFLICT', `actor ${request.actorId} changed state while it was being renewed; try again`, { actorId: request.actorId });
    }
    await appendAuditEvents(tx, deps.clock, [
      {
        sessionId: actor.session_id,
        type: 'TOKEN_RENEWED',
        actorId: request.actorId,
        principal: request.principal,
        payload: { from: row.from_state, to: row.state, reason: request.reason, old_jti: row.old_jti, jti, expires_at: expiresAt.toISOString() },
      },
    ]);
    return { actorId: request.actorId, token, jti, claims, expiresAt, from: row.from_state, to: row.state };
  });
}
