export {
  type Constraint,
  canonicalText,
  conjoinConstraints,
  constraintSchema,
  type JsonValue,
  jsonValueSchema,
  readArgument,
  satisfiesConstraint,
} from './constraint.js';
export { clampToAuthority, type DelegationResult, delegate } from './delegate.js';
export {
  type DroppedGrant,
  delegateGrants,
  explainIntersection,
  findGrant,
  type Grant,
  grantSchema,
  type IntersectionResult,
  intersectGrants,
  intersectPatterns,
  patternCovers,
  toolPatternSchema,
} from './grant.js';
export { type KeyStore, type KeyStoreOptions, loadOrCreateKeyStore, type PublicSigningJwk } from './keys.js';
export {
  CAPABILITY_TOKEN_TYPE,
  type CapabilityClaims,
  capabilityClaimsSchema,
  type MintClaims,
  TokenIssuer,
  type TokenIssuerOptions,
} from './token.js';
