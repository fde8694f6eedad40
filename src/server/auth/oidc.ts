import { createRemoteJWKSet, decodeJwt, errors, type JWTPayload, jwtVerify } from 'jose';
import type { OidcConfig } from '../../config/index.js';
import { AosError } from '../../errors.js';
import { type Caller, mergeScopes } from './scopes.js';

/** Verifies bearer JWTs from one OpenID provider and maps their claims to scopes. */
export interface OidcVerifier {
  issuer: string;
  /** Whether a JWT claims to come from this issuer (unverified: it only picks the path). */
  claims(token: string): boolean;
  /** The caller a verified token stands for; AUTH_* errors for anything else. */
  verify(token: string): Promise<Caller>;
}

/**
 * An OIDC verifier: signature against the issuer's JWKS (from `jwks_uri`, else its discovery
 * document, fetched on first use and cached by jose with rotation on unknown key ids), then
 * issuer, audience, algorithm allow-list, expiry and not-before with the configured tolerance.
 * Fails closed: an unreachable issuer means no OIDC caller gets in.
 *
 * @example
 * const oidc = oidcVerifier(config.auth.oidc);
 * if (oidc.claims(token)) caller = await oidc.verify(token);
 */
export function oidcVerifier(config: OidcConfig): OidcVerifier {
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  const keySet = async () => (keys ??= createRemoteJWKSet(new URL(config.jwks_uri ?? (await discoverJwksUri(config))), { timeoutDuration: config.timeout_ms }));
  return {
    issuer: config.issuer,
    claims(token) {
      try {
        return decodeJwt(token).iss === config.issuer;
      } catch {
        return false;
      }
    },
    async verify(token) {
      const jwks = await keySet();
      const { payload } = await jwtVerify(token, jwks, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: config.algorithms,
        clockTolerance: config.clock_tolerance_seconds,
        // The principal claim is checked below: it may be a dotted path, which jose cannot require.
        requiredClaims: ['exp'],
      }).catch((error: unknown) => {
        throw refusal(error, config);
      });
      const name = claimAt(payload, config.principal_claim);
      if (typeof name !== 'string' || name === '') {
        throw new AosError('AUTH_INVALID', `the token's "${config.principal_claim}" claim (auth.oidc.principal_claim) is not a non-empty string`);
      }
      const matching = config.rules.filter((rule) => claimMatches(claimAt(payload, rule.claim), rule.equals));
      return {
        kind: 'oidc',
        credentialId: typeof payload.jti === 'string' ? payload.jti : null,
        principal: `oidc:${name}`,
        scopes: mergeScopes(matching.map((rule) => rule.scopes)),
      };
    },
  };
}

async function discoverJwksUri(config: OidcConfig): Promise<string> {
  const url = `${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const unusable = (why: string) =>
    new AosError('AUTH_INVALID', `cannot verify OIDC tokens: the issuer's discovery document ${url} ${why}; set auth.oidc.jwks_uri or fix auth.oidc.issuer`, { issuer: config.issuer });
  const response = await fetch(url, { signal: AbortSignal.timeout(config.timeout_ms) }).catch((error: Error) => {
    throw unusable(`could not be fetched (${error.message})`);
  });
  if (!response.ok) throw unusable(`answered HTTP ${response.status}`);
  const document = (await response.json().catch(() => null)) as { issuer?: unknown; jwks_uri?: unknown } | null;
  if (document === null) throw unusable('is not JSON');
  if (document.issuer !== config.issuer) throw unusable(`names issuer ${JSON.stringify(document.issuer)}, not ${JSON.stringify(config.issuer)}`);
  if (typeof document.jwks_uri !== 'string') throw unusable('has no jwks_uri');
  return document.jwks_uri;
}

/** A claim by name; a dotted name walks into objects (`realm_access.roles`). */
function claimAt(payload: JWTPayload, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  let value: unknown = payload;
  for (const part of name.split('.')) value = value !== null && typeof value === 'object' && Object.hasOwn(value, part) ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}

/** An array claim holds the value; a string claim is it, or lists it space-separated (`scope`). */
function claimMatches(value: unknown, wanted: string): boolean {
  if (Array.isArray(value)) return value.includes(wanted);
  return typeof value === 'string' && (value === wanted || value.split(' ').includes(wanted));
}

/** jose's verdict as our distinct refusal codes. */
function refusal(error: unknown, config: OidcConfig): AosError {
  if (error instanceof AosError) return error;
  const detail = { issuer: config.issuer };
  if (error instanceof errors.JWTExpired) return new AosError('AUTH_EXPIRED', 'the OIDC token has expired; get a new one from the issuer', detail);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') {
      return new AosError('AUTH_WRONG_AUDIENCE', `the OIDC token is not meant for this API: its aud is ${JSON.stringify(error.payload.aud)}, expected ${JSON.stringify(config.audience)}`, detail);
    }
    return new AosError('AUTH_INVALID', `the OIDC token's "${error.claim}" claim is not acceptable: ${error.message}`, detail);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AosError('AUTH_INVALID', `the OIDC token is signed with an algorithm not in auth.oidc.algorithms (${config.algorithms.join(', ')})`, detail);
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return new AosError('AUTH_MALFORMED', `the OIDC token is malformed: ${error.message}`, detail);
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new AosError('AUTH_INVALID', `cannot verify OIDC tokens: the issuer's keys could not be fetched (${error.message})`, detail);
  }
  if (error instanceof errors.JOSEError) return new AosError('AUTH_INVALID', `the OIDC token failed verification: ${error.message}`, detail);
  return new AosError('AUTH_INVALID', `cannot verify OIDC tokens: the issuer's keys could not be fetched (${(error as Error).message})`, detail);
}
