import { appendAuditEvents, lockSession } from '../audit/index.js';
import type { Clock } from '../clock.js';
import { AosError } from '../errors.js';
import { transitionActor } from '../kernel/transition.js';
import type { Db, Queryable } from '../store/db.js';
import { APPROVAL_COLUMNS, type ApprovalRow } from './approval.js';

/**
 * Records an operator's decision on a pending approval, with the operator's identity, and
 * writes HUMAN_APPROVAL_GRANTED or HUMAN_APPROVAL_DENIED. The waiting actor becomes runnable
 * again either way: approved, its retry of the same call runs once; denied, it must do without.
 *
 * @example
 * await decideApproval(db, clock, { id: 'apr_…', decision: 'approve', operator: 'alice', reason: 'ticket OPS-12' });
 */
export async function decideApproval(
  db: Db,
  clock: Clock,
  input: { id: string; decision: 'approve' | 'deny'; operator: string; reason?: string | undefined },
): Promise<ApprovalRow> {
  if (!input.operator.trim()) {
    throw new AosError('INVALID_INPUT', 'operator: a decision must name the operator who made it', {
      field: 'operator',
    });
  }
  return db.transaction(async (tx) => {
    const found = await findApproval(tx, input.id);
    await lockSession(tx, found.session_id);
    const status = input.decision === 'approve' ? 'approved' : 'denied';
    const updated = await tx.query<ApprovalRow>(
      `UPDATE approvals SET status = $2, decided_at = now(), decided_by = $3, decision_reason = $4
        WHERE id = $1 AND status = 'pending' RETURNING ${APPROVAL_COLUMNS}`,
      [input.id, status, input.operator, input.reason ?? null],
    );
    const approval = updated.rows[0];
    if (!approval) {
      const current = await findApproval(tx, input.id);
      throw new AosError(
        'APPROVAL_NOT_PENDING',
        `approval ${input.id} is already ${current.status}${current.decided_by ? ` (by ${current.decided_by})` : ''}; only a pending approval can be decided`,
        { id: input.id, status: current.status },
      );
    }
    await appendAuditEvents(tx, clock, [
      {
        sessionId: approval.session_id,
        type: input.decision === 'approve' ? 'HUMAN_APPROVAL_GRANTED' : 'HUMAN_APPROVAL_DENIED',
        actorId: approval.actor_id,
        principal: input.operator,
        payload: {
          approval_id: approval.id,
          tool: approval.tool,
          args_hash: approval.args_hash,
          reason: input.reason ?? null,
        },
      },
    ]);
    const actor = await tx.query<{ state: string }>('SELECT state FROM actors WHERE id = $1', [
      approval.actor_id,
    ]);
    const stillWaiting = await tx.query(
      `SELECT 1 FROM approvals WHERE actor_id = $1 AND status = 'pending' LIMIT 1`,
      [approval.actor_id],
    );
    if (actor.rows[0]?.state === 'waiting_approval' && stillWaiting.rowCount === 0) {
      await transitionActor(tx, clock, {
        actorId: approval.actor_id,
        to: 'runnable',
        principal: input.operator,
        reason: `approval ${approval.id} ${status}`,
      });
    }
    return approval;
  });
}

/** One approval by id, or NOT_FOUND. */
export async function findApproval(db: Queryable, id: string): Promise<ApprovalRow> {
  const found = await db.query<ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE id = $1`, [id]);
  const approval = found.rows[0];
  if (!approval) {
    throw new AosError('NOT_FOUND', `no approval with id "${id}"; list them with \`aosiq approvals list\``, {
      id,
    });
  }
  return approval;
}

/** Approvals, newest first, optionally of one status. */
export async function listApprovals(
  db: Queryable,
  filter: { status?: string | undefined; limit?: number } = {},
): Promise<ApprovalRow[]> {
  const result = await db.query<ApprovalRow>(
    `SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE ($1::text IS NULL OR status = $1)
      ORDER BY requested_at DESC LIMIT $2`,
    [filter.status ?? null, filter.limit ?? 100],
  );
  return result.rows;
}
