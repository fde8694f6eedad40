import { appendAuditEvents, lockSession } from '../audit/index.js';
import type { Clock } from '../clock.js';
import { AosError } from '../errors.js';
import { transitionActor } from '../kernel/transition.js';
import type { Db, Queryable } from '../store/db.js';
import { APPROVAL_COLUMNS, type ApprovalRow, type ApprovalVote } from './approval.js';
import { recordExpiry } from './request.js';
import { enqueueNotification } from '../notifications/outbox.js';

export interface Decision {
  id: string;
  decision: 'approve' | 'deny';
  /** Who decides, as recorded: an API key (`key:alice`), an OIDC subject, the CLI operator. */
  operator: string;
  reason?: string | undefined;
  /** The credential the decision was made with (API key id, token jti), for attribution. */
  credential?: string | undefined;
}

/**
 * Records one approver's vote on a pending approval under its policy: the approver must be
 * eligible (on the policy's list, when it has one), must not have caused the request when
 * separation of duties applies, and votes once. The first denial decides; approvals count
 * until the quorum of distinct approvers is reached, then HUMAN_APPROVAL_GRANTED is written and
 * the call may run once. A vote that does not decide writes HUMAN_APPROVAL_VOTE. An approval
 * that ran out is marked expired and refused with APPROVAL_EXPIRED. When decided, the waiting
 * actor is resumed.
 *
 * @example
 * await decideApproval(db, clock, { id: 'apr_…', decision: 'approve', operator: 'key:alice', reason: 'ticket OPS-12' });
 */
export async function decideApproval(db: Db, clock: Clock, input: Decision): Promise<ApprovalRow> {
  if (!input.operator.trim()) {
    throw new AosError('INVALID_INPUT', 'operator: a decision must name the operator who made it', { field: 'operator' });
  }
  const now = clock.now();
  const outcome = await db.transaction(async (tx) => {
    const found = await findApproval(tx, input.id);
    await lockSession(tx, found.session_id);
    const approval = (await tx.query<ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE id = $1 FOR UPDATE`, [input.id])).rows[0]!;
    if (approval.status !== 'pending') {
      throw new AosError(
        'APPROVAL_NOT_PENDING',
        `approval ${input.id} is already ${approval.status}${approval.decided_by ? ` (by ${approval.decided_by})` : ''}; only a pending approval can be decided`,
        { id: input.id, status: approval.status },
      );
    }
    if (approval.expires_at !== null && new Date(approval.expires_at) <= now) {
      const expired = (await tx.query<ApprovalRow>(`UPDATE approvals SET status = 'expired', decided_at = COALESCE(decided_at, expires_at) WHERE id = $1 RETURNING ${APPROVAL_COLUMNS}`, [input.id])).rows[0]!;
      await recordExpiry(tx, clock, expired, input.operator);
      await resumeActor(tx, clock, expired, input.operator, `approval ${expired.id} expired`);
      return { approval: expired, expired: true };
    }
    await checkEligible(tx, approval, input.operator);
    await tx.query('INSERT INTO approval_votes (approval_id, approver, credential, decision, reason, at) VALUES ($1, $2, $3, $4, $5, $6)', [
      approval.id,
      input.operator,
      input.credential ?? null,
      input.decision,
      input.reason ?? null,
      now,
    ]);
    const approvers = (
      await tx.query<{ approver: string }>(`SELECT approver FROM approval_votes WHERE approval_id = $1 AND decision = 'approve' ORDER BY at, approver`, [approval.id])
    ).rows.map((row) => row.approver);
    const decided = input.decision === 'deny' || approvers.length >= approval.quorum;
    const payload = { approval_id: approval.id, tool: approval.tool, args_hash: approval.args_hash, reason: input.reason ?? null };
    if (!decided) {
      await appendAuditEvents(tx, clock, [
        { sessionId: approval.session_id, type: 'HUMAN_APPROVAL_VOTE', actorId: approval.actor_id, principal: input.operator, payload: { ...payload, approvals: approvers.length, quorum: approval.quorum } },
      ]);
      return { approval, expired: false };
    }
    const status = input.decision === 'approve' ? 'approved' : 'denied';
    const updated = (
      await tx.query<ApprovalRow>(
        `UPDATE approvals SET status = $2, decided_at = $3, decided_by = $4, decision_reason = $5 WHERE id = $1 RETURNING ${APPROVAL_COLUMNS}`,
        [approval.id, status, now, status === 'approved' ? approvers.join(', ') : input.operator, input.reason ?? null],
      )
    ).rows[0]!;
    await appendAuditEvents(tx, clock, [
      {
        sessionId: approval.session_id,
        type: status === 'approved' ? 'HUMAN_APPROVAL_GRANTED' : 'HUMAN_APPROVAL_DENIED',
        actorId: approval.actor_id,
        principal: input.operator,
        payload: { ...payload, ...(status === 'approved' ? { approvers } : {}) },
      },
    ]);
    await enqueueNotification(tx, clock, 'approval.decided', updated);
    await resumeActor(tx, clock, updated, input.operator, `approval ${approval.id} ${status}`);
    return { approval: updated, expired: false };
  });
  if (outcome.expired) {
    throw new AosError('APPROVAL_EXPIRED', `approval ${input.id} expired at ${new Date(outcome.approval.expires_at!).toISOString()}; the actor must ask again`, {
      id: input.id,
    });
  }
  return outcome.approval;
}

/** Refuses an approver the policy does not allow: not on its list, or the cause of the request, or a second vote. */
async function checkEligible(tx: Queryable, approval: ApprovalRow, operator: string): Promise<void> {
  if (approval.approvers !== null && !approval.approvers.includes(operator)) {
    throw new AosError('APPROVER_NOT_ALLOWED', `${operator} is not among the approvers of ${approval.tool} calls: ${approval.approvers.join(', ')}`, {
      id: approval.id,
      approver: operator,
    });
  }
  if (approval.separation_of_duties) {
    const owner = (await tx.query<{ principal: string }>('SELECT principal FROM actors WHERE id = $1', [approval.actor_id])).rows[0]?.principal;
    if (operator === approval.requested_by || operator === owner) {
      throw new AosError(
        'APPROVER_NOT_ALLOWED',
        `separation of duties: ${operator} caused this request (it ${operator === owner ? 'started the requesting actor' : 'made the call'}), so someone else must approve it`,
        { id: approval.id, approver: operator },
      );
    }
  }
  const voted = await tx.query<{ decision: string }>('SELECT decision FROM approval_votes WHERE approval_id = $1 AND approver = $2', [approval.id, operator]);
  if (voted.rows[0]) {
    throw new AosError('CONFLICT', `${operator} already voted ${voted.rows[0].decision} on approval ${approval.id}; a quorum needs distinct approvers`, {
      id: approval.id,
      approver: operator,
    });
  }
}

/** Moves the actor from waiting_approval back to runnable once none of its approvals is pending. */
async function resumeActor(tx: Queryable, clock: Clock, approval: ApprovalRow, principal: string, reason: string): Promise<void> {
  const actor = await tx.query<{ state: string }>('SELECT state FROM actors WHERE id = $1', [approval.actor_id]);
  const stillWaiting = await tx.query(`SELECT 1 FROM approvals WHERE actor_id = $1 AND status = 'pending' LIMIT 1`, [approval.actor_id]);
  if (actor.rows[0]?.state === 'waiting_approval' && stillWaiting.rowCount === 0) {
    await transitionActor(tx, clock, { actorId: approval.actor_id, to: 'runnable', principal, reason });
  }
}

/** Every vote cast on an approval, oldest first. */
export async function listVotes(db: Queryable, id: string): Promise<ApprovalVote[]> {
  return (await db.query<ApprovalVote>('SELECT approver, credential, decision, reason, at FROM approval_votes WHERE approval_id = $1 ORDER BY at, approver', [id])).rows;
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
