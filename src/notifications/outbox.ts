import type { ApprovalRow } from '../approvals/approval.js';
import type { Clock } from '../clock.js';
import type { JsonValue } from '../security/canonical/index.js';
import type { Queryable } from '../store/db.js';

export const NOTIFICATION_EVENTS = ['approval.requested', 'approval.decided', 'approval.expired'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/**
 * Puts an approval notification in the outbox, inside the caller's transaction: it exists
 * exactly when the change it announces committed. Webhook delivery happens later (webhooks.ts).
 * Arguments are not included, only their hash: the link leads to them, behind authentication.
 *
 * @example
 * await enqueueNotification(tx, clock, 'approval.requested', approval);
 */
export async function enqueueNotification(tx: Queryable, clock: Clock, event: NotificationEvent, approval: ApprovalRow): Promise<void> {
  const iso = (date: Date | null) => (date ? new Date(date).toISOString() : null);
  const payload: { [key: string]: JsonValue } = {
    id: approval.id,
    status: approval.status,
    tool: approval.tool,
    args_hash: approval.args_hash,
    blast_radius: approval.blast_radius,
    blast_reason: approval.blast_reason,
    actor_id: approval.actor_id,
    session_id: approval.session_id,
    requested_at: iso(approval.requested_at),
    expires_at: iso(approval.expires_at),
    quorum: approval.quorum,
    decided_by: approval.decided_by,
    decision_reason: approval.decision_reason,
  };
  await tx.query('INSERT INTO notifications (event, approval_id, payload, created_at) VALUES ($1, $2, $3::jsonb, $4)', [
    event,
    approval.id,
    JSON.stringify(payload),
    clock.now(),
  ]);
}
