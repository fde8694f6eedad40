import { createHash } from 'node:crypto';
import { AosError, isAosError } from '../errors.js';
import { type ActorState, LIVE_STATES } from '../kernel/actor.js';
import type { CapabilityClaims } from '../security/capability/index.js';
import type { Queryable } from '../store/db.js';
import type { SyscallDeps } from './ports.js';
import { recordRefusal } from './record.js';

/**
 * Guard 1: the presented token must verify. A token that does not is recorded as
 * AUTH_REJECTED: in its own session when an expired token still names one, otherwise in the
 * system chain, identified by a hash prefix of the token, never the token itself.
 */
export async function verifyCaller(
  deps: SyscallDeps,
  token: string,
  operation: string,
  principal: string | null,
): Promise<CapabilityClaims> {
  try {
    return await deps.tokens.verify(token);
  } catch (error) {
    if (!isAosError(error)) throw error;
    const named = error.code === 'TOKEN_EXPIRED' && typeof error.details.sessionId === 'string';
    throw await recordRefusal(
      deps,
      {
        sessionId: named ? (error.details.sessionId as string) : null,
        actorId: named ? (error.details.actorId as string) : null,
        principal,
        type: 'AUTH_REJECTED',
      },
      error,
      { operation, presented_sha256_prefix: createHash('sha256').update(token).digest('hex').slice(0, 16) },
    );
  }
}

export interface LiveActor {
  state: ActorState;
  principal: string;
}

/**
 * Guard 1b: a valid signature is not enough. The actor row must exist, still hold this token,
 * and be alive; killing an actor therefore revokes its token at once. Runs inside the caller's
 * transaction after the session lock, so a concurrent kill cannot slip between check and effect.
 */
export async function requireLiveActor(tx: Queryable, claims: CapabilityClaims, epoch?: number): Promise<LiveActor> {
  const found = await tx.query<{ state: ActorState; token_jti: string; principal: string; lease_epoch: string }>(
    'SELECT state, token_jti, principal, lease_epoch::text FROM actors WHERE id = $1',
    [claims.sub],
  );
  const actor = found.rows[0];
  if (!actor) {
    throw new AosError('ACTOR_NOT_ALIVE', `the token names actor ${claims.sub}, which does not exist`, {
      actorId: claims.sub,
    });
  }
  if (actor.token_jti !== claims.jti) {
    throw new AosError(
      'ACTOR_NOT_ALIVE',
      `token ${claims.jti} is no longer the token of actor ${claims.sub}; use the actor's current token`,
      { actorId: claims.sub, jti: claims.jti },
    );
  }
  if (!LIVE_STATES.includes(actor.state)) {
    throw new AosError(
      'ACTOR_NOT_ALIVE',
      `actor ${claims.sub} is ${actor.state}; its token no longer authorises anything`,
      { actorId: claims.sub, state: actor.state },
    );
  }
  if (epoch !== undefined && (actor.state !== 'running' || Number(actor.lease_epoch) !== epoch)) {
    throw new AosError(
      'LEASE_LOST',
      `actor ${claims.sub} is no longer running under lease epoch ${epoch}; this worker must stop`,
      { actorId: claims.sub, epoch },
    );
  }
  return { state: actor.state, principal: actor.principal };
}

/**
 * ACTOR_NOT_ALIVE when the token's actor is dead or holds a newer token, else null. Used on
 * refusal paths, so a dead actor's token is answered as dead rather than with the details of
 * why its request would have been refused.
 */
export async function deadActor(db: Queryable, claims: CapabilityClaims): Promise<AosError | null> {
  try {
    await requireLiveActor(db, claims);
    return null;
  } catch (error) {
    if (isAosError(error, 'ACTOR_NOT_ALIVE')) return error;
    throw error;
  }
}
