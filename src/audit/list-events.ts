import type { Queryable } from '../store/db.js';
import type { AuditEvent } from './event.js';

/**
 * The newest audit events matching the filter, returned oldest first.
 *
 * @example
 * const events = await listAuditEvents(db, { sessionId: 'ses_…', type: 'CAPABILITY_DENIED' });
 */
export async function listAuditEvents(
  db: Queryable,
  filter: {
    sessionId?: string | undefined;
    type?: string | undefined;
    actorId?: string | undefined;
    /** Inclusive lower bound on the event time. */
    since?: Date | undefined;
    /** Exclusive upper bound on the event time. */
    until?: Date | undefined;
    limit?: number;
  },
): Promise<AuditEvent[]> {
  // `at` is stored as an ISO 8601 UTC string, which sorts as the time does.
  const result = await db.query<AuditEvent>(
    `SELECT * FROM (
       SELECT id, session_id, chain_seq, prev_hash, hash, type, actor_id, principal, payload, at FROM audit_events
        WHERE ($1::text IS NULL OR session_id = $1) AND ($2::text IS NULL OR type = $2) AND ($3::text IS NULL OR actor_id = $3)
          AND ($5::text IS NULL OR at >= $5) AND ($6::text IS NULL OR at < $6)
        ORDER BY id DESC LIMIT $4) newest
     ORDER BY id`,
    [
      filter.sessionId ?? null,
      filter.type ?? null,
      filter.actorId ?? null,
      filter.limit ?? 100,
      filter.since?.toISOString() ?? null,
      filter.until?.toISOString() ?? null,
    ],
  );
  return result.rows;
}
