import { AosError } from '../../errors.js';
import { type DroppedGrant, delegateGrants, type Grant } from './grant.js';
import type { CapabilityClaims } from './token.js';

/** The grants and lifetime a new token may carry. `exp` is in unix seconds. */
export type DelegationResult = { grants: Grant[]; dropped: DroppedGrant[]; exp: number; depth: number };

/**
 * What a child of `parent` may hold: the parent's grants ∩ the class template ∩ the request,
 * living no longer than the parent. Throws TOKEN_EXPIRED when the parent has expired and
 * INSUFFICIENT_AUTHORITY when the depth limit is reached or no requested grant survives.
 *
 * @example
 * const { grants, exp, depth } = delegate({
 *   parent: claims, template: triageClass.grants, templateName: 'triage',
 *   request: [{ tool: 'fs.read' }], ttlSeconds: 600, maxDepth: 4, now: new Date(),
 * });
 */
export function delegate(input: {
  parent: CapabilityClaims;
  template: Grant[] | null;
  templateName?: string;
  request: Grant[];
  ttlSeconds: number;
  maxDepth: number;
  now: Date;
}): DelegationResult {
  const { parent, now } = input;
  if (parent.exp * 1000 <= now.getTime()) {
    const at = new Date(parent.exp * 1000).toISOString();
    throw new AosError('TOKEN_EXPIRED', `parent token ${parent.jti} expired at ${at}; it cannot delegate`, {
      exp: parent.exp,
      expiredAt: at,
    });
  }
  const depth = parent.depth + 1;
  if (depth > input.maxDepth) {
    throw new AosError(
      'INSUFFICIENT_AUTHORITY',
      `actor ${parent.sub} at delegation depth ${parent.depth} cannot spawn a child: depth ${depth} exceeds the limit ${input.maxDepth}`,
      { depth, maxDepth: input.maxDepth },
    );
  }
  const result = narrow(parent.grants, 'parent token', input);
  return { ...result, exp: Math.min(result.exp, parent.exp), depth };
}

/**
 * What a top-level actor spawned by an operator may hold: the operator's authority ∩ the class
 * template ∩ the request, at depth 0. A caller can never mint a token broader than its own.
 *
 * @example
 * clampToAuthority({ authority: apiKeyGrants, template: null, request, ttlSeconds: 3600, now: new Date() });
 */
export function clampToAuthority(input: {
  authority: Grant[];
  authorityName?: string;
  template: Grant[] | null;
  templateName?: string;
  request: Grant[];
  ttlSeconds: number;
  now: Date;
}): DelegationResult {
  return { ...narrow(input.authority, input.authorityName ?? "caller's authority", input), depth: 0 };
}

function narrow(
  authority: Grant[],
  authorityName: string,
  input: { template: Grant[] | null; templateName?: string; request: Grant[]; ttlSeconds: number; now: Date },
): Omit<DelegationResult, 'depth'> {
  const { ttlSeconds } = input;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new AosError('INVALID_INPUT', `ttlSeconds must be a positive integer, got ${ttlSeconds}`);
  }
  const names = {
    parent: authorityName,
    ...(input.templateName === undefined ? {} : { template: input.templateName }),
  };
  const { grants, dropped } = delegateGrants(authority, input.template, input.request, names);
  if (grants.length === 0) {
    const reasons = dropped.map((entry) => `${entry.grant.tool}: ${entry.reason}`);
    const why = reasons.length > 0 ? reasons.join('; ') : 'nothing was requested';
    throw new AosError('INSUFFICIENT_AUTHORITY', `no requested grant survived narrowing (${why})`, {
      dropped,
    });
  }
  return { grants, dropped, exp: Math.floor(input.now.getTime() / 1000) + ttlSeconds };
}
