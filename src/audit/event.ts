import type { JsonValue } from '../security/canonical/index.js';

/** The audit event types; the names the product description uses stay as they are. */
export const AUDIT_EVENT_TYPES = [
  'ACTOR_SPAWNED',
  'STATE_TRANSITION',
  'CAPABILITY_DENIED',
  'AUTH_REJECTED',
  'TOOL_CALL_STARTED',
  'TOOL_CALL_COMPLETED',
  'TOOL_CALL_FAILED',
  'HUMAN_APPROVAL_REQUESTED',
  'HUMAN_APPROVAL_GRANTED',
  'HUMAN_APPROVAL_DENIED',
  'HUMAN_APPROVAL_VOTE',
  'APPROVAL_EXPIRED',
  'APPROVAL_CONSUMED',
  'API_KEY_CREATED',
  'API_KEY_REVOKED',
  'API_KEY_ROTATED',
  'LLM_CALL',
  'EGRESS_DENIED',
  'COST_CEILING_EXCEEDED',
  'MODEL_UNPRICED',
  'CHECKPOINT_WRITTEN',
  'TOKEN_EXPIRED_RECOVERABLE',
  'TOKEN_RENEWED',
  'APP_AGENT_ABANDONED_UNGROUNDED',
  'MCP_TOOLS_PINNED',
  'MCP_TOOL_DEFINITION_CHANGED',
  'APP_INJECTION_PATTERN_DETECTED',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** Events that belong to no actor's session (e.g. a token too malformed to name one) go here. */
export const SYSTEM_SESSION = 'system';

/** What a caller asks to record. */
export interface AuditEventInput {
  sessionId: string;
  type: AuditEventType;
  actorId: string | null;
  principal: string | null;
  payload: { [key: string]: JsonValue };
  /** A compute ledger row written with the event, in the same statement (see 007_ledger.sql). */
  ledger?: ComputeLedgerRow;
  /**
   * A step checkpoint written with the event, in the same statement (see 008_scheduler.sql).
   * Needs a guard with the lease epoch; refused (LEASE_LOST) when the step already has one.
   */
  checkpoint?: { step: number; state: JsonValue };
}

/** What a tool call consumed, recorded in ledger_entries atomically with its outcome event. */
export interface ComputeLedgerRow {
  class: string;
  tool: string;
  /** Pico-dollars as a decimal string (bigint), from the class's compute rate. */
  usd_pico: string;
  wall_ms: number;
  /** CPU time the tool measured for its effect (command tools); absent when it cannot know. */
  cpu_ms?: number;
}

/** A stored, chained audit event, as exported and verified. */
export interface AuditEvent {
  id: number;
  session_id: string;
  chain_seq: number;
  prev_hash: string;
  hash: string;
  type: string;
  actor_id: string | null;
  principal: string | null;
  payload: { [key: string]: JsonValue };
  at: string;
}

export const GENESIS_HASH = '0'.repeat(64);
