import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { AosError } from '../errors.js';
import type { Db, Queryable } from '../store/db.js';
import { formatUsd, type Pico } from './money.js';

export interface ReservationRequest {
  sessionId: string;
  actorId: string;
  className: string;
  backend: string;
  model: string;
  /** The call's worst case. */
  usd: Pico;
  /** How long the hold counts if the call never settles (it crashed). */
  holdMs: number;
  /** The session's ceiling, or null for none. */
  sessionCeiling: Pico | null;
  /** The class's ceiling per UTC day, or null for none. */
  dailyCeiling: Pico | null;
}

export interface Reservation {
  id: string;
  usd: Pico;
  /** The session's settled spend and open holds before this one. */
  spent: Pico;
  held: Pico;
}

/** What a settled call cost; null usd: unpriced (allowed by its class), never counted as $0. */
export interface Settlement {
  usd: Pico | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cachedInputTokens: number | null;
  wallMs: number;
  /** The provider reported no usage, so the amount is the reservation's worst case. */
  estimated: boolean;
}

const DAY_MS = 86_400_000;

async function lock(tx: Queryable, name: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [name]);
}

// Spend and holds are read in one statement, one snapshot: read apart, a call settling between
// the two reads (its hold gone, its entry not yet seen) would vanish from both and free headroom.
async function totals(tx: Queryable, sql: string, params: unknown[]): Promise<{ spent: Pico; held: Pico }> {
  const { rows } = await tx.query<{ spent: string; held: string }>(sql, params);
  return { spent: BigInt(rows[0]!.spent), held: BigInt(rows[0]!.held) };
}

/** The session's settled spend and its open, unexpired holds. */
function sessionTotals(tx: Queryable, sessionId: string, now: Date): Promise<{ spent: Pico; held: Pico }> {
  return totals(
    tx,
    `SELECT (SELECT COALESCE(sum(usd_pico), 0) FROM ledger_entries WHERE session_id = $1)::text AS spent,
            (SELECT COALESCE(sum(usd_pico), 0) FROM ledger_reservations
              WHERE session_id = $1 AND settled_at IS NULL AND expires_at > $2)::text AS held`,
    [sessionId, now],
  );
}

/** The class's spend and open holds of this UTC day. */
async function classDayTotal(tx: Queryable, className: string, now: Date): Promise<Pico> {
  const start = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  const { spent, held } = await totals(
    tx,
    `SELECT (SELECT COALESCE(sum(usd_pico), 0) FROM ledger_entries WHERE class = $1 AND at >= $2 AND at < $3)::text AS spent,
            (SELECT COALESCE(sum(usd_pico), 0) FROM ledger_reservations
              WHERE class = $1 AND settled_at IS NULL AND expires_at > $4 AND created_at >= $2 AND created_at < $3)::text AS held`,
    [className, start, new Date(start.getTime() + DAY_MS), now],
  );
  return spent + held;
}

/**
 * Holds a call's worst case against its session's ceiling (and its class's daily one), or
 * refuses with COST_CEILING_EXCEEDED when settled spend + open holds + this hold would cross
 * it. The check and the hold are one transaction under a per-session lock (and a per-class-day
 * lock when that ceiling is set), so concurrent calls cannot all see the same headroom.
 *
 * @example
 * const hold = await reserve(db, clock, { sessionId, actorId, className, backend, model, usd, holdMs, sessionCeiling, dailyCeiling: null });
 */
export function reserve(db: Db, clock: Clock, request: ReservationRequest, guard?: (tx: Queryable) => Promise<void>): Promise<Reservation> {
  return db.transaction(async (tx) => {
    const now = clock.now();
    // Always in this order (class day, then session), so two holds never wait on each other in a cycle.
    if (request.dailyCeiling !== null) await lock(tx, `ledger:class:${request.className}:${Math.floor(now.getTime() / DAY_MS)}`);
    await lock(tx, `ledger:session:${request.sessionId}`);
    // e.g. the actor is still alive: checked under the lock, in the transaction that holds.
    if (guard) await guard(tx);
    const { spent, held } = await sessionTotals(tx, request.sessionId, now);
    if (request.sessionCeiling !== null && spent + held + request.usd > request.sessionCeiling) {
      throw exceeded('session', request.sessionCeiling, spent + held, request);
    }
    if (request.dailyCeiling !== null) {
      const today = await classDayTotal(tx, request.className, now);
      if (today + request.usd > request.dailyCeiling) throw exceeded('class-day', request.dailyCeiling, today, request);
    }
    const id = `rsv_${randomBytes(12).toString('hex')}`;
    await tx.query(
      `INSERT INTO ledger_reservations (id, session_id, actor_id, class, backend, model, usd_pico, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [id, request.sessionId, request.actorId, request.className, request.backend, request.model, request.usd.toString(), now, new Date(now.getTime() + request.holdMs)],
    );
    return { id, usd: request.usd, spent, held };
  });
}

function exceeded(scope: 'session' | 'class-day', ceiling: Pico, committed: Pico, request: ReservationRequest): AosError {
  const where = scope === 'session' ? `session ${request.sessionId}` : `class "${request.className}" today (UTC)`;
  return new AosError(
    'COST_CEILING_EXCEEDED',
    `${request.backend}/${request.model} could cost up to $${formatUsd(request.usd)}, and ${where} has $${formatUsd(committed)} spent or held of its $${formatUsd(ceiling)} ceiling; the call was not made`,
    {
      scope,
      ceiling_usd: formatUsd(ceiling),
      committed_usd: formatUsd(committed),
      worst_case_usd: formatUsd(request.usd),
      backend: request.backend,
      model: request.model,
    },
  );
}

/**
 * Releases a hold into a ledger row in the caller's transaction (which also writes the call's
 * audit row). One statement: the row takes session, actor, class, backend and model from the
 * hold itself. A hold settles once; settling it again is a no-op that returns false.
 *
 * @example
 * await db.transaction(async (tx) => { await settle(tx, clock, hold, settlement); await appendAuditEvents(tx, clock, [event]); });
 */
export async function settle(tx: Queryable, clock: Clock, reservation: Reservation, settlement: Settlement): Promise<boolean> {
  const { rowCount } = await tx.query(
    `WITH closed AS (
       UPDATE ledger_reservations SET settled_at = $2 WHERE id = $1 AND settled_at IS NULL
       RETURNING id, session_id, actor_id, class, backend, model)
     INSERT INTO ledger_entries
       (session_id, actor_id, class, kind, backend, model, input_tokens, output_tokens, cached_input_tokens, usd_pico, wall_ms, estimated, reservation_id, at)
     SELECT session_id, actor_id, class, 'llm', backend, model, $3, $4, $5, $6, $7, $8, id, $2 FROM closed`,
    [
      reservation.id,
      clock.now(),
      settlement.inputTokens,
      settlement.outputTokens,
      settlement.cachedInputTokens,
      settlement.usd?.toString() ?? null,
      Math.round(settlement.wallMs),
      settlement.estimated,
    ],
  );
  return rowCount === 1;
}
