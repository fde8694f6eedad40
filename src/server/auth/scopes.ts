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
  kind: 'api_key' | 'anonymous';
  /** The key id, or null for anonymous callers (auth mode warn or disabled). */
  keyId: string | null;
  /** e.g. `key:ci-deployer`, or `anonymous`. */
  principal: string;
  scopes: Scopes;
}

/** What an unauthenticated caller gets when authentication is off (warn or disabled mode). */
export function anonymousCaller(operatorGrants: Grant[]): Caller {
  return {
    kind: 'anonymous',
    keyId: null,
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
    throw new AosError('SCOPE_DENIED', `${caller.principal} may not ${action}: its key lacks the "${scope}" scope`, {
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
      `${caller.principal} may not spawn class "${className}"; its key may spawn: ${allowed.join(', ') || '(no classes)'}`,
      { principal: caller.principal, class: className },
    );
  }
}
