import { appendAuditEvents } from '../audit/index.js';
import { redactSecrets } from '../audit/redact.js';
import type { Clock } from '../clock.js';
import { newId } from '../kernel/actor.js';
import { transitionActor } from '../kernel/transition.js';
import type { JsonValue } from '../security/canonical/index.js';
import type { Queryable } from '../store/db.js';
import { APPROVAL_COLUMNS, type ApprovalRow, type BlastRadius } from './approval.js';

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

/**
 * Files the review row for an irreversible call that has no approval, or returns the pending
 * one already filed for the same (actor, tool, args hash). A new row moves the actor to
 * waiting_approval and writes HUMAN_APPROVAL_REQUESTED, all in the caller's transaction, which
 * must already hold the session lock.
 *
 * @example
 * const { approval, created } = await requestApproval(tx, clock, proposed);
 */
export async function requestApproval(
  tx: Queryable,
  clock: Clock,
  call: ProposedCall,
): Promise<{ approval: ApprovalRow; created: boolean }> {
  const pending = await tx.query<ApprovalRow>(
    `SELECT ${APPROVAL_COLUMNS} FROM approvals
      WHERE actor_id = $1 AND tool = $2 AND args_hash = $3 AND status = 'pending'
      ORDER BY requested_at LIMIT 1`,
    [call.actorId, call.tool, call.argsHash],
  );
  if (pending.rows[0]) return { approval: pending.rows[0], created: false };

  const inserted = await tx.query<ApprovalRow>(
    `INSERT INTO approvals (id, session_id, actor_id, tool, args, args_hash, blast_radius, blast_reason, grant_used, status)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9::jsonb, 'pending') RETURNING ${APPROVAL_COLUMNS}`,
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
      },
    },
  ]);
  return { approval, created: true };
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
  const consumed = await tx.query<ApprovalRow>(
    `UPDATE approvals SET status = 'consumed', consumed_at = now()
      WHERE id = (SELECT id FROM approvals
                   WHERE actor_id = $1 AND tool = $2 AND args_hash = $3 AND status = 'approved'
                   ORDER BY decided_at LIMIT 1 FOR UPDATE)
        AND status = 'approved'
      RETURNING ${APPROVAL_COLUMNS}`,
    [match.actorId, match.tool, match.argsHash],
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
