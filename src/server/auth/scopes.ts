import { z } from 'zod';
import { AosError } from '../../errors.js';
import { type Grant, grantSchema } from '../../security/capability/index.js';

/**
 * What an API caller may do. Spawning is limited twice: to the classes named here, and to the
 * grants named here (each spawn is clamped to them, and to the operator's authority).
 */
export const scopesSchema = z.strictObject({
  /** Actor classes it may spawn; "*" for any. */
  spawn_classes: z.array(z.string().min(1)).default([]),
  /** The most it may hand out to the actors it spawns. */
  grants: z.array(grantSchema).default([]),
  /** Decide approvals. */
  approve: z.boolean().default(false),
  /** Read the audit log, verify sessions, fetch proofs; read approvals. */
  audit: z.boolean().default(false),
  /** Kill actors, see every actor. */
  admin: z.boolean().default(false),
});

export type Scopes = z.infer<typeof scopesSchema>;
export type Scope = 'approve' | 'audit' | 'admin';

/** Who is calling the HTTP API; every audit row written for the request names `principal`. */
export interface Caller {
  kind: 'api_key' | 'oidc' | 'certificate' | 'anonymous';
  /**
   * The credential itself, recorded with approval decisions: the API key id, the OIDC token's
   * jti, the client certificate's SHA-256 fingerprint; null when there is none.
   */
  credentialId: string | null;
  /** e.g. `key:ci-deployer`, `oidc:alice`, `cert:deployer.example.com`, or `anonymous`. */
  principal: string;
  scopes: Scopes;
}

/**
 * The union of several scope sets: what a caller matching several mapping rules may do.
 *
 * @example
 * mergeScopes([{ ...none, audit: true }, { ...none, approve: true }]); // audit and approve
 */
export function mergeScopes(list: Scopes[]): Scopes {
  return {
    spawn_classes: [...new Set(list.flatMap((scopes) => scopes.spawn_classes))],
    grants: list.flatMap((scopes) => scopes.grants),
    approve: list.some((scopes) => scopes.approve),
    audit: list.some((scopes) => scopes.audit),
    admin: list.some((scopes) => scopes.admin),
  };
}

/** What an unauthenticated caller gets when authentication is off (warn or disabled mode). */
export function anonymousCaller(operatorGrants: Grant[]): Caller {
  return {
    kind: 'anonymous',
    credentialId: null,
    principal: 'anonymous',
    scopes: { spawn_classes: ['*'], grants: operatorGrants, approve: true, audit: true, admin: true },
  };
}

/**
 * Refuses with SCOPE_DENIED (HTTP 403) unless the caller holds the scope.
 *
 * @example
 * requireScope(caller, 'approve');
 */
export function requireScope(caller: Caller, scope: Scope, action: string): void {
  if (!caller.scopes[scope]) {
    throw new AosError('SCOPE_DENIED', `${caller.principal} may not ${action}: it lacks the "${scope}" scope`, {
      principal: caller.principal,
      scope,
    });
  }
}

/** Refuses with SCOPE_DENIED unless the caller may spawn actors of this class. */
export function requireSpawnClass(caller: Caller, className: string): void {
  const allowed = caller.scopes.spawn_classes;
  if (!allowed.includes('*') && !allowed.includes(className)) {
    throw new AosError(
      'SCOPE_DENIED',
      `${caller.principal} may not spawn class "${className}"; it may spawn: ${allowed.join(', ') || '(no classes)'}`,
      { principal: caller.principal, class: className },
    );
  }
}
