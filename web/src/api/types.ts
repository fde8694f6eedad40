/** Shapes of the /api/v1 responses the dashboard reads, as the server's zod schemas declare them. */

/** Any JSON value: tool arguments, grants and audit payloads are shown as data, never trusted as markup. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Scopes {
  approve: boolean;
  audit: boolean;
  admin: boolean;
  spawn_classes: string[];
}

export interface Me {
  principal: string;
  kind: string;
  scopes: Scopes;
}

export interface AnchorSinkStatus {
  sink: string;
  protection: string | null;
  ok: boolean;
  successes: number;
  failures: number;
  last_success_at: string | null;
  last_error: string | null;
  anchored_size: number;
}

export interface AnchorStatus {
  successes: number;
  failures: number;
  last_success_at: string | null;
  last_error: string | null;
  checkpoint_size: number;
  anchored_size: number;
  lag_events: number;
  lag_seconds: number;
  sinks: AnchorSinkStatus[];
}

export interface Health {
  status: 'ok' | 'degraded';
  version: string;
  auth_mode: 'enforced' | 'warn' | 'disabled';
  audit_anchors: AnchorStatus;
}

export const BLAST_RADII = ['critical', 'high', 'medium', 'low'] as const;
export type BlastRadius = (typeof BLAST_RADII)[number];

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'consumed' | 'expired';

export interface Approval {
  id: string;
  status: ApprovalStatus;
  tool: string;
  args: Json;
  args_hash: string;
  blast_radius: BlastRadius;
  blast_reason: string;
  grant_used: Json;
  session_id: string;
  actor_id: string;
  requested_at: string;
  decided_at: string | null;
  decided_by: string | null;
  decision_reason: string | null;
  consumed_at: string | null;
  expires_at: string | null;
  quorum: number;
  approvers: string[] | null;
  separation_of_duties: boolean;
  requested_by: string | null;
}

export interface Vote {
  approver: string;
  credential: string | null;
  decision: 'approve' | 'deny';
  reason: string | null;
  at: string;
}

export interface AuditEvent {
  id: number;
  session_id: string;
  chain_seq: number;
  prev_hash: string;
  hash: string;
  type: string;
  actor_id: string | null;
  principal: string | null;
  payload: Json;
  at: string;
}

export interface ApprovalDetail extends Approval {
  actor: { id: string; class: string; principal: string; parent_id: string | null; grants: Json } | null;
  votes: Vote[];
  evidence: AuditEvent[];
}

export interface Actor {
  id: string;
  session_id: string;
  class: string;
  kind: string;
  parent_id: string | null;
  state: string;
  grants: Json[];
  delegation_depth: number;
  token_expires_at: string;
  principal: string;
  last_heartbeat: string | null;
  created_at: string;
  updated_at: string;
}

/** States after which an actor can no longer act, so there is nothing to kill. */
export const ENDED_ACTOR_STATES: readonly string[] = ['killed', 'completed', 'failed', 'token_expired', 'abandoned_ungrounded'];

export interface Verification {
  ok: boolean;
  events: number;
  first_break: { id: number; session_id: string; chain_seq: number; reason: string } | null;
}

export const COST_DIMENSIONS = ['class', 'session', 'day', 'model'] as const;
export type CostDimension = (typeof COST_DIMENSIONS)[number];

export interface CostRow {
  key: string;
  entries: number;
  usd: string;
  unpriced: number;
  estimated: number;
  input_tokens: number;
  output_tokens: number;
  wall_ms: number;
  cpu_ms: number;
}

/** Spend plus open holds against a ceiling; `used` is their ratio, null without a ceiling. */
export interface Against {
  spent_usd: string;
  held_usd: string;
  ceiling_usd: string | null;
  used: number | null;
}

/** GET /api/v1/costs/headroom: live sessions per class of their live actors, and classes today. */
export interface Headroom {
  sessions: (Against & { session_id: string; class: string; live_actors: number })[];
  classes: (Against & { class: string })[];
}

/** GET /api/v1/dashboard: what the OpenID provider sign-in needs (auth.oidc.dashboard), if set. */
export interface DashboardSignIn {
  issuer: string;
  client_id: string;
  scope: string;
  resource: string | null;
  authorization_endpoint: string;
  token_endpoint: string;
}

export interface DashboardConfig {
  oidc: DashboardSignIn | null;
  /** Why single sign-on is configured but unavailable (the provider did not answer). */
  oidc_error: string | null;
}
