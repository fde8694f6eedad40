import { createHash } from 'node:crypto';
import { recordAuditEvent } from '../../audit/append.js';
import { SYSTEM_SESSION } from '../../audit/event.js';
import type { Clock } from '../../clock.js';
import { AosError, isAosError } from '../../errors.js';
import type { Grant } from '../../security/capability/index.js';
import type { Db } from '../../store/db.js';
import type { MtlsConfig } from '../../config/index.js';
import { authenticateApiKey } from './api-keys.js';
import { certificateCaller, type ClientCertificate } from './mtls.js';
import type { OidcVerifier } from './oidc.js';
import { anonymousCaller, type Caller } from './scopes.js';

export const AUTH_MODES = ['enforced', 'warn', 'disabled'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/**
 * How a route is reached: `public` needs nothing; `key` needs an API key; `capability` takes an
 * actor's capability token (checked by the syscall itself) or an API key.
 */
export type RouteAuth = 'public' | 'key' | 'capability';

export interface Authenticated {
  /** The API caller; null when the request carries a capability token instead. */
  caller: Caller | null;
  /** The actor's capability token, for routes that act as that actor. */
  capability: string | null;
  /** Set in warn mode when the request would have been refused. */
  warning: string | null;
}

export interface AuthDeps {
  db: Db;
  clock: Clock;
  mode: AuthMode;
  operatorGrants: Grant[];
  /** Set when auth.oidc is configured. */
  oidc: OidcVerifier | null;
  /** Set when auth.mtls is configured (the server then asks for client certificates). */
  mtls: MtlsConfig | null;
}

/** What a request presents: its Authorization header and, over TLS, its client certificate. */
export interface Presented {
  authorization: string | undefined;
  certificate: ClientCertificate | null;
}

/**
 * The auth mode from AOS_AUTH_MODE (default enforced); anything else stops start-up.
 *
 * @example
 * const mode = parseAuthMode(process.env.AOS_AUTH_MODE);
 */
export function parseAuthMode(value: string | undefined): AuthMode {
  if (value === undefined || value === '') return 'enforced';
  if ((AUTH_MODES as readonly string[]).includes(value)) return value as AuthMode;
  throw new AosError('CONFIG_INVALID', `AOS_AUTH_MODE=${JSON.stringify(value)}: expected one of ${AUTH_MODES.join(', ')}`, { variable: 'AOS_AUTH_MODE' });
}

function bearer(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match) throw new AosError('AUTH_MALFORMED', 'the Authorization header must be "Bearer <API key or capability token>"');
  return match[1]!;
}

async function identify(deps: AuthDeps, presented: Presented, route: RouteAuth): Promise<Omit<Authenticated, 'warning'>> {
  const credential = bearer(presented.authorization);
  if (credential === null) {
    if (deps.mtls && presented.certificate) return { caller: certificateCaller(deps.mtls, presented.certificate), capability: null };
    throw new AosError('AUTH_MISSING', 'this route needs credentials: send "Authorization: Bearer <API key or OIDC token>"');
  }
  if (credential.startsWith('aos_')) {
    const key = await authenticateApiKey(deps.db, deps.clock, credential);
    return { caller: { kind: 'api_key', credentialId: key.id, principal: `key:${key.name}`, scopes: key.scopes }, capability: null };
  }
  if (credential.split('.').length === 3) {
    if (deps.oidc?.claims(credential)) return { caller: await deps.oidc.verify(credential), capability: null };
    if (route === 'capability') return { caller: null, capability: credential };
    throw new AosError('AUTH_INVALID', 'a capability token acts as its actor (POST /api/v1/calls, child spawns); this route needs an API key');
  }
  throw new AosError('AUTH_MALFORMED', 'the bearer credential is neither an AOSIQ API key (aos_…) nor a capability token (a JWT)');
}

/**
 * Authenticates one request. Enforced: a missing or bad credential is refused with a distinct
 * AUTH_* code and one AUTH_REJECTED row (nothing else is written). Warn: the request goes on as
 * an anonymous caller with a warning for the response header. Disabled: anonymous, silently.
 *
 * @example
 * const { caller, capability, warning } = await authenticate(deps, { authorization, certificate: null }, 'key', 'GET /api/v1/agents');
 */
export async function authenticate(deps: AuthDeps, presented: Presented, route: RouteAuth, operation: string): Promise<Authenticated> {
  if (route === 'public') return { caller: null, capability: null, warning: null };
  try {
    return { ...(await identify(deps, presented, route)), warning: null };
  } catch (error) {
    if (!isAosError(error) || !error.code.startsWith('AUTH_')) throw error;
    if (deps.mode === 'disabled') return { caller: anonymousCaller(deps.operatorGrants), capability: null, warning: null };
    if (deps.mode === 'warn') {
      return { caller: anonymousCaller(deps.operatorGrants), capability: null, warning: `${error.code}: ${error.message}` };
    }
    await recordAuditEvent(deps.db, deps.clock, {
      sessionId: SYSTEM_SESSION,
      type: 'AUTH_REJECTED',
      actorId: null,
      principal: null,
      payload: {
        operation,
        code: error.code,
        reason: error.message,
        presented_sha256_prefix: presented.authorization ? createHash('sha256').update(presented.authorization).digest('hex').slice(0, 16) : null,
        certificate_sha256: presented.certificate?.fingerprint ?? null,
      },
    });
    throw error;
  }
}
