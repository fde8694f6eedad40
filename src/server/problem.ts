import { AosError, type ErrorCode } from '../errors.js';

/** The HTTP status of each error code: the one place the API maps our codes. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  CONFIG_INVALID: 500,
  INVALID_TOKEN: 401,
  TOKEN_EXPIRED: 401,
  CAPABILITY_DENIED: 403,
  INSUFFICIENT_AUTHORITY: 403,
  ACTOR_NOT_ALIVE: 403,
  UNKNOWN_TOOL: 404,
  ARGS_TOO_LARGE: 413,
  AUTH_MISSING: 401,
  AUTH_MALFORMED: 401,
  AUTH_INVALID: 401,
  AUTH_REVOKED: 401,
  AUTH_EXPIRED: 401,
  AUTH_WRONG_AUDIENCE: 401,
  SCOPE_DENIED: 403,
  APPROVAL_REQUIRED: 202,
  APPROVAL_DENIED: 403,
  APPROVAL_NOT_PENDING: 409,
  APPROVAL_EXPIRED: 409,
  APPROVER_NOT_ALLOWED: 403,
  INVALID_TRANSITION: 409,
  LEASE_LOST: 409,
  NOT_FOUND: 404,
  CONFLICT: 409,
  STORE_LOCKED: 503,
  STORE_UNAVAILABLE: 503,
  AUDIT_CHAIN_BROKEN: 500,
  TOOL_FAILED: 502,
  RUN_FAILED: 500,
  TOOL_DEFINITION_CHANGED: 409,
  UPSTREAM_UNAVAILABLE: 503,
  COST_CEILING_EXCEEDED: 403,
  EGRESS_DENIED: 403,
  LLM_BACKEND_FAILED: 502,
  MODEL_UNPRICED: 403,
  INTERNAL: 500,
};

/** An RFC 9457 problem document, with our stable code beside the standard members. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  details?: Record<string, unknown>;
}

/**
 * The problem document for an error. Unknown errors become INTERNAL without their message, so
 * nothing internal leaks; the request id in `instance` finds the full error in the log.
 *
 * @example
 * reply.status(problem.status).type('application/problem+json').send(problemFor(error, request.id));
 */
export function problemFor(error: unknown, requestId: string): Problem {
  const known = error instanceof AosError;
  const code: ErrorCode = known ? error.code : 'INTERNAL';
  return {
    type: `urn:aosiq:problem:${code.toLowerCase().replaceAll('_', '-')}`,
    title: code,
    status: HTTP_STATUS[code],
    detail: known ? error.message : `internal error; the server log has it under request id ${requestId}`,
    instance: `urn:aosiq:request:${requestId}`,
    code,
    ...(known && Object.keys(error.details).length > 0 ? { details: error.details } : {}),
  };
}
