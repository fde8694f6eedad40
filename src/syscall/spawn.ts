import { appendAuditEvents, lockSession } from '../audit/index.js';
import { redactSecrets } from '../audit/redact.js';
import { AosError, isAosError } from '../errors.js';
import type { JsonValue } from '../security/canonical/index.js';
import { newId } from '../kernel/actor.js';
import {
  type CapabilityClaims,
  clampToAuthority,
  type DelegationResult,
  delegate,
  type Grant,
  grantSchema,
} from '../security/capability/index.js';
import { deadActor, requireLiveActor, verifyCaller } from './caller.js';
import type { ActorClass, SyscallDeps } from './ports.js';
import { recordRefusal } from './record.js';

export interface SpawnRequest {
  className: string;
  grants: Grant[];
  /** The parent's capability token; without one, the spawn is top-level and clamped to the operator's authority. */
  parentToken?: string | undefined;
  /** Who asks: the operator (top-level) or the parent's principal is recorded when absent. */
  principal?: string | undefined;
  /** The authority a top-level spawn is clamped to (e.g. an API key's grants); the operator's when absent. */
  authority?: { name: string; grants: Grant[] } | undefined;
  /** What the runtime's workers run for this actor (a workflow, an agent loop); none when driven from outside. */
  program?: JsonValue | undefined;
  /** Spawn only if this (schedule, fire time) has not fired yet, in the same transaction; else CONFLICT. */
  once?: { schedule: string; fireAt: Date } | undefined;
}

export interface SpawnOutcome {
  actorId: string;
  sessionId: string;
  token: string;
  grants: Grant[];
  dropped: { grant: Grant; reason: string }[];
  expiresAt: Date;
  depth: number;
}

/** The request's grants, validated at the boundary so a malformed one is named, not crashed on. */
function requestedGrants(grants: unknown): Grant[] {
  const parsed = grantSchema.array().safeParse(grants);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new AosError('INVALID_INPUT', `grants${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${issue.message}`, {
    field: 'grants',
  });
}

function actorClass(deps: SyscallDeps, name: string): ActorClass {
  const found = typeof name === 'string' ? deps.classes.get(name) : undefined;
  if (!found) {
    const known = [...deps.classes.keys()].join(', ') || '(none configured)';
    throw new AosError(
      'INVALID_INPUT',
      `class: no actor class named "${name}" in aosiq.yaml; known classes: ${known}`,
      {
        field: 'class',
        value: name,
      },
    );
  }
  return found;
}

/**
 * The spawn syscall. A child's grants are the intersection of its parent's grants, its class
 * template and its request; a top-level actor's are clamped the same way to the operator's
 * authority. An empty intersection raises INSUFFICIENT_AUTHORITY before any actor row exists,
 * and the refusal is recorded. The new actor, its token's jti and ACTOR_SPAWNED commit together.
 *
 * @example
 * const child = await spawn(deps, { parentToken, className: 'reviewer', grants: [{ tool: 'fs.read' }] });
 */
export async function spawn(deps: SyscallDeps, request: SpawnRequest): Promise<SpawnOutcome> {
  const now = deps.clock.now();
  let parent: CapabilityClaims | null = null;
  if (request.parentToken !== undefined)
    parent = await verifyCaller(deps, request.parentToken, 'spawn', request.principal ?? null);
  const sessionId = parent?.sid ?? newId('ses');
  const refusalSite = {
    sessionId: parent?.sid ?? null,
    actorId: parent?.sub ?? null,
    principal: request.principal ?? deps.operator.name,
    type: 'CAPABILITY_DENIED' as const,
  };
  let cls: ActorClass;
  let delegated: DelegationResult;
  try {
    cls = actorClass(deps, request.className);
    const narrowing = {
      template: cls.capabilities,
      templateName: cls.name,
      request: requestedGrants(request.grants),
      ttlSeconds: cls.tokenTtlSeconds,
      now,
    };
    delegated = parent
      ? delegate({ ...narrowing, parent, maxDepth: deps.maxDelegationDepth })
      : clampToAuthority({
          ...narrowing,
          authority: request.authority?.grants ?? deps.operator.grants,
          authorityName: request.authority?.name ?? `operator ${deps.operator.name}`,
        });
  } catch (caught) {
    if (!isAosError(caught)) throw caught;
    const error = (parent && (await deadActor(deps.db, parent))) || caught;
    throw await recordRefusal(deps, refusalSite, error, {
      operation: 'spawn',
      class: String(request.className),
      requested: grantSchema.array().safeParse(request.grants).success ? (request.grants) : 'malformed',
    });
  }
  const actorId = newId('act');
  const jti = newId('jti');
  const mintClaims = {
    sub: actorId,
    jti,
    exp: delegated.exp,
    sid: sessionId,
    cls: cls.name,
    grants: delegated.grants,
    ...(parent ? { pjti: parent.jti } : {}),
    depth: delegated.depth,
  };
  const { token } = await deps.tokens.mint(mintClaims);
  try {
    await deps.db.transaction(async (tx) => {
      // The session lock first: it serialises this spawn with a concurrent kill of the parent.
      await lockSession(tx, sessionId);
      const principal = parent
        ? (await requireLiveActor(tx, parent)).principal
        : (request.principal ?? deps.operator.name);
      await tx.query(
        `INSERT INTO actors (id, session_id, class, kind, parent_id, state, token_jti, grants, delegation_depth, token_expires_at, principal, program, mint_claims)
         VALUES ($1, $2, $3, $4, $5, 'runnable', $6, $7::jsonb, $8, to_timestamp($9), $10, $11::jsonb, $12::jsonb)`,
        [
          actorId,
          sessionId,
          cls.name,
          cls.kind,
          parent?.sub ?? null,
          jti,
          JSON.stringify(delegated.grants),
          delegated.depth,
          delegated.exp,
          principal,
          request.program === undefined ? null : JSON.stringify(request.program),
          JSON.stringify(mintClaims),
        ],
      );
      if (request.once) {
        const fired = await tx.query(
          'INSERT INTO schedule_fires (schedule, fire_at, actor_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [request.once.schedule, request.once.fireAt, actorId],
        );
        if (fired.rowCount === 0) {
          throw new AosError('CONFLICT', `${request.once.schedule} already fired for ${request.once.fireAt.toISOString()}`, {
            schedule: request.once.schedule,
            fireAt: request.once.fireAt.toISOString(),
          });
        }
      }
      await appendAuditEvents(tx, deps.clock, [
        {
          sessionId,
          type: 'ACTOR_SPAWNED',
          actorId,
          principal,
          payload: {
            class: cls.name,
            kind: cls.kind,
            parent_id: parent?.sub ?? null,
            parent_jti: parent?.jti ?? null,
            jti,
            depth: delegated.depth,
            expires_at: new Date(delegated.exp * 1000).toISOString(),
            grants: redactSecrets(delegated.grants),
            dropped: redactSecrets(delegated.dropped),
            ...(request.program === undefined ? {} : { program: redactSecrets(request.program) }),
          },
        },
      ]);
    });
  } catch (error) {
    if (!isAosError(error, 'ACTOR_NOT_ALIVE')) throw error;
    throw await recordRefusal(deps, refusalSite, error, { operation: 'spawn', class: cls.name });
  }
  return {
    actorId,
    sessionId,
    token,
    grants: delegated.grants,
    dropped: delegated.dropped,
    expiresAt: new Date(delegated.exp * 1000),
    depth: delegated.depth,
  };
}
