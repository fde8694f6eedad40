import { appendAuditEvents } from '../audit/index.js';
import { redactSecrets } from '../audit/redact.js';
import type { Clock } from '../clock.js';
import { newId } from '../kernel/actor.js';
import { transitionActor } from '../kernel/transition.js';
import type { JsonValue } from '../security/canonical/index.js';
import type { Queryable } from '../store/db.js';
import { APPROVAL_COLUMNS, type ApprovalRow, type BlastRadius } from './approval.js';
import type { ApprovalPolicy } from './policy.js';
import { enqueueNotification } from '../notifications/outbox.js';

export interface ProposedCall {
  sessionId: string;
  actorId: string;
  principal: string | null;
  tool: string;
  args: JsonValue;
  argsHash: string;
  blastRadius: { level: BlastRadius; reason: string };
  grant: JsonValue;
}

/** What asking for an approval can come to. */
export type ApprovalRequestOutcome =
  | { kind: 'pending'; approval: ApprovalRow; created: boolean }
  /** The last identical request was denied or expired; the actor is told once, then may ask again. */
  | { kind: 'refused'; approval: ApprovalRow };

/**
 * Files the review row for an irreversible call that has no approval, under the call's
 * policy, or returns the pending one already filed for the same (actor, tool, args hash). A
 * new row moves the actor to waiting_approval and writes HUMAN_APPROVAL_REQUESTED, all in the
 * caller's transaction, which must already hold the session lock. Approvals of this call
 * that ran out are marked expired first; a denial or expiry not yet reported to the actor is
 * returned as `refused` (once).
 *
 * @example
 * const outcome = await requestApproval(tx, clock, proposed, policy);
 */
export async function requestApproval(
  tx: Queryable,
  clock: Clock,
  call: ProposedCall,
  policy: ApprovalPolicy,
): Promise<ApprovalRequestOutcome> {
  const now = clock.now();
  await expireApprovals(tx, clock, call, now);
  const refused = await tx.query<ApprovalRow>(
    `UPDATE approvals SET reported_at = $4
      WHERE id = (SELECT id FROM approvals WHERE actor_id = $1 AND tool = $2 AND args_hash = $3
                     AND status IN ('denied', 'expired') AND reported_at IS NULL ORDER BY requested_at DESC LIMIT 1)
      RETURNING ${APPROVAL_COLUMNS}`,
    [call.actorId, call.tool, call.argsHash, now],
  );
  if (refused.rows[0]) return { kind: 'refused', approval: refused.rows[0] };
  const pending = await tx.query<ApprovalRow>(
    `SELECT ${APPROVAL_COLUMNS} FROM approvals
      WHERE actor_id = $1 AND tool = $2 AND args_hash = $3 AND status = 'pending'
      ORDER BY requested_at LIMIT 1`,
    [call.actorId, call.tool, call.argsHash],
  );
  if (pending.rows[0]) return { kind: 'pending', approval: pending.rows[0], created: false };

  const inserted = await tx.query<ApprovalRow>(
    `INSERT INTO approvals (id, session_id, actor_id, tool, args, args_hash, blast_radius, blast_reason, grant_used, status,
                            requested_at, expires_at, quorum, approvers, separation_of_duties, requested_by)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9::jsonb, 'pending', $10, $11, $12, $13::jsonb, $14, $15) RETURNING ${APPROVAL_COLUMNS}`,
    [
      newId('apr'),
      call.sessionId,
      call.actorId,
      call.tool,
      // Shown to approvers; credentials appear only as digests. The args hash binds the real values.
      JSON.stringify(redactSecrets(call.args)),
      call.argsHash,
      call.blastRadius.level,
      call.blastRadius.reason,
      JSON.stringify(call.grant),
      now,
      new Date(now.getTime() + policy.expiresAfterSeconds * 1000),
      policy.quorum,
      policy.approvers === null ? null : JSON.stringify(policy.approvers),
      policy.separationOfDuties,
      call.principal,
    ],
  );
  const approval = inserted.rows[0]!;
  const state = await tx.query<{ state: string }>('SELECT state FROM actors WHERE id = $1', [call.actorId]);
  if (state.rows[0]?.state !== 'waiting_approval') {
    await transitionActor(tx, clock, {
      actorId: call.actorId,
      to: 'waiting_approval',
      principal: call.principal,
      reason: `approval ${approval.id} requested for ${call.tool}`,
    });
  }
  await appendAuditEvents(tx, clock, [
    {
      sessionId: call.sessionId,
      type: 'HUMAN_APPROVAL_REQUESTED',
      actorId: call.actorId,
      principal: call.principal,
      payload: {
        approval_id: approval.id,
        tool: call.tool,
        args_hash: call.argsHash,
        blast_radius: call.blastRadius.level,
        blast_reason: call.blastRadius.reason,
        expires_at: approval.expires_at ? new Date(approval.expires_at).toISOString() : null,
        quorum: policy.quorum,
      },
    },
  ]);
  await enqueueNotification(tx, clock, 'approval.requested', approval);
  return { kind: 'pending', approval, created: true };
}

/** Marks this call's pending or approved-but-unused approvals that ran out as expired, each with APPROVAL_EXPIRED. */
async function expireApprovals(tx: Queryable, clock: Clock, call: ProposedCall, now: Date): Promise<void> {
  const expired = await tx.query<ApprovalRow>(
    `UPDATE approvals SET status = 'expired', decided_at = COALESCE(decided_at, expires_at)
      WHERE actor_id = $1 AND tool = $2 AND args_hash = $3 AND status IN ('pending', 'approved') AND expires_at <= $4
      RETURNING ${APPROVAL_COLUMNS}`,
    [call.actorId, call.tool, call.argsHash, now],
  );
  for (const approval of expired.rows) await recordExpiry(tx, clock, approval, call.principal);
}

/** APPROVAL_EXPIRED for an approval just marked expired. */
export async function recordExpiry(tx: Queryable, clock: Clock, approval: ApprovalRow, principal: string | null): Promise<void> {
  await enqueueNotification(tx, clock, 'approval.expired', approval);
  await appendAuditEvents(tx, clock, [
    {
      sessionId: approval.session_id,
      type: 'APPROVAL_EXPIRED',
      actorId: approval.actor_id,
      principal,
      payload: { approval_id: approval.id, tool: approval.tool, args_hash: approval.args_hash, expired_at: new Date(approval.expires_at!).toISOString() },
    },
  ]);
}

/**
 * Consumes the approved review row matching (actor, tool, args hash), at most once: of many
 * racing callers exactly one gets the row, the others get null. Writes APPROVAL_CONSUMED.
 *
 * @example
 * const approval = await consumeApproval(tx, clock, { actorId, tool, argsHash, sessionId, principal });
 */
export async function consumeApproval(
  tx: Queryable,
  clock: Clock,
  match: { sessionId: string; actorId: string; tool: string; argsHash: string; principal: string | null },
): Promise<ApprovalRow | null> {
  // The row lock makes a second consumer wait, then re-check status = 'approved' and match nothing.
  // An approval that ran out is never used (requestApproval then marks it expired).
  const consumed = await tx.query<ApprovalRow>(
    `UPDATE approvals SET status = 'consumed', consumed_at = $4
      WHERE id = (SELECT id FROM approvals
                   WHERE actor_id = $1 AND tool = $2 AND args_hash = $3 AND status = 'approved'
                     AND (expires_at IS NULL OR expires_at > $4)
                   ORDER BY decided_at LIMIT 1 FOR UPDATE)
        AND status = 'approved'
      RETURNING ${APPROVAL_COLUMNS}`,
    [match.actorId, match.tool, match.argsHash, clock.now()],
  );
  const approval = consumed.rows[0] ?? null;
  if (approval) {
    await appendAuditEvents(tx, clock, [
      {
        sessionId: match.sessionId,
        type: 'APPROVAL_CONSUMED',
        actorId: match.actorId,
        principal: match.principal,
        payload: { approval_id: approval.id, tool: match.tool, args_hash: match.argsHash },
      },
    ]);
  }
  return approval;
}
