import { createHash, randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { AosError } from '../../errors.js';
import { describeValue } from './constraint.js';
import { grantSchema } from './grant.js';
import type { KeyStore } from './keys.js';

/** The JWT `typ` header of a capability token; tokens of any other type are refused. */
export const CAPABILITY_TOKEN_TYPE = 'aosiq-cap+jwt';

/** Longer strings are refused before any parsing or hashing. */
const MAX_TOKEN_LENGTH = 65_536;

const idSchema = z.string().min(1).max(200);
const unixSecondsSchema = z.number().int().nonnegative();

export const capabilityClaimsSchema = z.strictObject({
  iss: idSchema,
  aud: idSchema,
  /** The actor the token belongs to. */
  sub: idSchema,
  jti: idSchema,
  iat: unixSecondsSchema,
  exp: unixSecondsSchema,
  /** Session id. */
  sid: idSchema,
  /** Actor class. */
  cls: idSchema,
  grants: z.array(grantSchema),
  /** The parent token's jti, for delegated tokens. */
  pjti: idSchema.optional(),
  /** Delegation depth: 0 for a token minted for an operator's spawn. */
  depth: z.number().int().nonnegative(),
});

export type CapabilityClaims = z.infer<typeof capabilityClaimsSchema>;

/** What a caller supplies to mint: the issuer fills in iss, aud, iat and (unless given) jti. */
export type MintClaims = Omit<CapabilityClaims, 'iss' | 'aud' | 'iat' | 'jti'> & { jti?: string };

export interface TokenIssuerOptions {
  keys: KeyStore;
  issuer: string;
  audience: string;
  now?: () => Date;
  /** Allowed clock skew on `exp`, 0 to 5 seconds; 5 by default. */
  clockToleranceSeconds?: number;
  /** Verified tokens remembered; the oldest is dropped beyond this. 10,000 by default. */
  cacheSize?: number;
}

type CacheEntry = { claims: CapabilityClaims; validUntilMs: number };

/**
 * Mints and verifies capability tokens (EdDSA JWTs). Verification checks signature, `typ`,
 * `iss`, `aud`, `exp` and the claims' shape; a success is cached until the token expires or its
 * key retires. A valid token proves only what was granted: whether the actor is still alive is
 * the caller's check, against the database.
 *
 * @example
 * const issuer = new TokenIssuer({ keys, issuer: 'aosiq', audience: 'aosiq' });
 * const { token } = await issuer.mint({ sub: 'actor-1', sid: 's1', cls: 'triage', exp, grants, depth: 0 });
 * const claims = await issuer.verify(token);
 */
export class TokenIssuer {
  private readonly keys: KeyStore;
  private readonly issuer: string;
  private readonly audience: string;
  private readonly now: () => Date;
  private readonly clockToleranceSeconds: number;
  private readonly cacheSize: number;
  private readonly cache = new Map<string, CacheEntry>();
  private cachedKeysVersion: number;

  constructor(options: TokenIssuerOptions) {
    const tolerance = options.clockToleranceSeconds ?? 5;
    if (!(tolerance >= 0 && tolerance <= 5)) {
      throw new AosError('INVALID_INPUT', `clockToleranceSeconds must be between 0 and 5, got ${tolerance}`);
    }
    const cacheSize = options.cacheSize ?? 10_000;
    if (!Number.isInteger(cacheSize) || cacheSize < 0) {
      throw new AosError('INVALID_INPUT', `cacheSize must be a non-negative integer, got ${cacheSize}`);
    }
    this.keys = options.keys;
    this.issuer = options.issuer;
    this.audience = options.audience;
    this.now = options.now ?? (() => new Date());
    this.clockToleranceSeconds = tolerance;
    this.cacheSize = cacheSize;
    this.cachedKeysVersion = options.keys.version;
  }

  /**
   * Signs a token with the active key. Returns the claims as signed, so the caller can record
   * the jti.
   *
   * @example
   * const { token, claims } = await issuer.mint({ sub, sid, cls, exp, grants, depth: 0 });
   */
  async mint(input: MintClaims): Promise<{ token: string; claims: CapabilityClaims }> {
    const iat = Math.floor(this.now().getTime() / 1000);
    const { jti, ...rest } = input;
    const parsed = capabilityClaimsSchema.safeParse({
      ...rest,
      iss: this.issuer,
      aud: this.audience,
      iat,
      jti: jti ?? randomUUID(),
    });
    if (!parsed.success) {
      throw new AosError('INVALID_INPUT', `cannot mint a capability token: ${describeIssues(parsed.error)}`);
    }
    const claims = parsed.data;
    if (claims.exp <= iat) {
      throw new AosError(
        'INVALID_INPUT',
        `cannot mint a token that is already expired: exp ${claims.exp} <= now ${iat}`,
      );
    }
    const { kid, privateKey } = this.keys.signingKey();
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', typ: CAPABILITY_TOKEN_TYPE, kid })
      .sign(privateKey);
    return { token, claims };
  }

  /**
   * Returns the claims of a valid token. Throws AosError INVALID_TOKEN (saying what is wrong)
   * or TOKEN_EXPIRED (with the expiry time).
   *
   * @example
   * const { sub, grants } = await issuer.verify(bearer);
   */
  async verify(token: string): Promise<CapabilityClaims> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new AosError(
        'INVALID_TOKEN',
        `token must be a non-empty string of at most ${MAX_TOKEN_LENGTH} characters`,
      );
    }
    const now = this.now();
    // A rotation may have set a retirement time that cached entries do not know about.
    if (this.keys.version !== this.cachedKeysVersion) {
      this.cache.clear();
      this.cachedKeysVersion = this.keys.version;
    }
    const cacheKey = createHash('sha256').update(token).digest('hex');
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) {
      if (now.getTime() < cached.validUntilMs) return structuredClone(cached.claims);
      this.cache.delete(cacheKey);
    }

    let retireAfter: Date | null = null;
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(
        token,
        (header) => {
          if (typeof header.kid !== 'string') throw new AosError('INVALID_TOKEN', 'token header has no kid');
          const key = this.keys.verificationKey(header.kid);
          if (key === undefined) {
            throw new AosError(
              'INVALID_TOKEN',
              `token is signed with unknown key ${describeValue(header.kid)}; the key was retired or never ours, so mint a new token`,
            );
          }
          retireAfter = key.retireAfter;
          return key.publicKey;
        },
        {
          algorithms: ['EdDSA'],
          typ: CAPABILITY_TOKEN_TYPE,
          issuer: this.issuer,
          audience: this.audience,
          currentDate: now,
          clockTolerance: this.clockToleranceSeconds,
          requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        },
      ));
    } catch (error) {
      throw translateJoseError(error, this.issuer, this.audience);
    }

    const parsed = capabilityClaimsSchema.safeParse(payload);
    if (!parsed.success) {
      throw new AosError('INVALID_TOKEN', `token claims are malformed: ${describeIssues(parsed.error)}`);
    }
    const claims = parsed.data;
    // A cached success must not outlive the token or the key that signed it.
    const keyRetireMs = (retireAfter as Date | null)?.getTime() ?? Number.POSITIVE_INFINITY;
    this.remember(cacheKey, { claims, validUntilMs: Math.min(claims.exp * 1000, keyRetireMs) });
    return structuredClone(claims);
  }

  private remember(cacheKey: string, entry: CacheEntry): void {
    if (this.cacheSize === 0) return;
    while (this.cache.size >= this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    this.cache.set(cacheKey, entry);
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

function translateJoseError(error: unknown, issuer: string, audience: string): unknown {
  if (error instanceof AosError) return error;
  if (error instanceof errors.JWTExpired) {
    const exp = error.payload.exp;
    const at = typeof exp === 'number' ? new Date(exp * 1000).toISOString() : 'an unknown time';
    // jose checks exp only after the signature, so these names are authentic: the refusal can be
    // recorded in the expired actor's own session.
    const { sid, sub } = error.payload;
    return new AosError('TOKEN_EXPIRED', `capability token expired at ${at}; mint a new token`, {
      exp,
      expiredAt: at,
      ...(typeof sid === 'string' && typeof sub === 'string' ? { sessionId: sid, actorId: sub } : {}),
    });
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const messages: Record<string, string> = {
      iss: `token issuer ${describeValue(error.payload.iss)} is not ${JSON.stringify(issuer)}`,
      aud: `token audience ${describeValue(error.payload.aud)} is not ${JSON.stringify(audience)}`,
      typ: `token type is not ${CAPABILITY_TOKEN_TYPE}; this is not a capability token`,
    };
    const message = messages[error.claim] ?? `token claim ${error.claim} is invalid: ${error.message}`;
    return new AosError('INVALID_TOKEN', message, { claim: error.claim }, { cause: error });
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AosError(
      'INVALID_TOKEN',
      'token algorithm is not allowed; only EdDSA is accepted',
      {},
      { cause: error },
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new AosError(
      'INVALID_TOKEN',
      'token signature does not verify; it was altered or signed by another key',
    );
  }
  if (error instanceof errors.JOSEError) {
    return new AosError('INVALID_TOKEN', `token is malformed: ${error.message}`, {}, { cause: error });
  }
  return error;
}
