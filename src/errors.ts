/**
 * The one error type of the runtime. Every failure a caller can act on carries a stable
 * `code`; the CLI maps it to an exit code, and later the HTTP and MCP layers map it to
 * their own error shapes, each in one place.
 *
 * @example
 * throw new AosError('UNKNOWN_TOOL', `no tool named "${name}" is registered`, { tool: name });
 */
export const ERROR_CODES = {
  INVALID_INPUT: 2,
  CONFIG_INVALID: 3,
  INVALID_TOKEN: 10,
  TOKEN_EXPIRED: 11,
  CAPABILITY_DENIED: 12,
  INSUFFICIENT_AUTHORITY: 13,
  ACTOR_NOT_ALIVE: 14,
  UNKNOWN_TOOL: 15,
  ARGS_TOO_LARGE: 16,
  AUTH_MISSING: 17,
  AUTH_MALFORMED: 18,
  AUTH_INVALID: 19,
  AUTH_REVOKED: 23,
  AUTH_EXPIRED: 24,
  AUTH_WRONG_AUDIENCE: 25,
  SCOPE_DENIED: 26,
  APPROVAL_EXPIRED: 27,
  APPROVER_NOT_ALLOWED: 28,
  APPROVAL_REQUIRED: 20,
  APPROVAL_DENIED: 21,
  APPROVAL_NOT_PENDING: 22,
  INVALID_TRANSITION: 30,
  NOT_FOUND: 31,
  LEASE_LOST: 33,
  CONFLICT: 32,
  STORE_LOCKED: 40,
  STORE_UNAVAILABLE: 41,
  AUDIT_CHAIN_BROKEN: 50,
  TOOL_FAILED: 60,
  RUN_FAILED: 61,
  TOOL_DEFINITION_CHANGED: 62,
  UPSTREAM_UNAVAILABLE: 63,
  COST_CEILING_EXCEEDED: 70,
  EGRESS_DENIED: 71,
  LLM_BACKEND_FAILED: 72,
  MODEL_UNPRICED: 73,
  INTERNAL: 1,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AosError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AosError';
    this.code = code;
    this.details = details;
  }

  /** The process exit code the CLI uses for this error. */
  get exitCode(): number {
    return ERROR_CODES[this.code];
  }
}

/** True when `error` is an AosError, optionally with the given code. */
export function isAosError(error: unknown, code?: ErrorCode): error is AosError {
  return error instanceof AosError && (code === undefined || error.code === code);
}
