import type { JsonValue } from '../security/canonical/index.js';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'consumed' | 'expired';
export type BlastRadius = 'low' | 'medium' | 'high' | 'critical';

/** A review row: one proposed irreversible call, bound to its exact arguments. */
export interface ApprovalRow {
  id: string;
  session_id: string;
  actor_id: string;
  tool: string;
  args: JsonValue;
  args_hash: string;
  blast_radius: BlastRadius;
  blast_reason: string;
  grant_used: JsonValue;
  status: ApprovalStatus;
  requested_at: Date;
  decided_at: Date | null;
  decided_by: string | null;
  decision_reason: string | null;
  consumed_at: Date | null;
  expires_at: Date | null;
  quorum: number;
  approvers: string[] | null;
  separation_of_duties: boolean;
  requested_by: string | null;
  reported_at: Date | null;
}

/** One approver's decision on an approval. */
export interface ApprovalVote {
  approver: string;
  credential: string | null;
  decision: 'approve' | 'deny';
  reason: string | null;
  at: Date;
}

export const APPROVAL_COLUMNS = `id, session_id, actor_id, tool, args, args_hash, blast_radius, blast_reason, grant_used,
  status, requested_at, decided_at, decided_by, decision_reason, consumed_at, expires_at, quorum, approvers,
  separation_of_duties, requested_by, reported_at`;
