import { AosError } from '../errors.js';
import type { Queryable } from '../store/db.js';
import { formatUsd } from './money.js';

export const ROLLUP_DIMENSIONS = ['class', 'session', 'day', 'model'] as const;
export type RollupDimension = (typeof ROLLUP_DIMENSIONS)[number];

export interface RollupFilter {
  by: RollupDimension;
  since?: Date | undefined;
  until?: Date | undefined;
  className?: string | undefined;
  sessionId?: string | undefined;
}

export interface RollupRow {
  /** The class, session, UTC day (YYYY-MM-DD) or `backend/model` (`tool:<name>` for compute). */
  key: string;
  entries: number;
  /** Priced spend, in dollars to six places, rounded up. */
  usd: string;
  /** Entries with no price: their cost is unknown, not zero. */
  unpriced: number;
  /** Entries charged their reserved worst case because the provider reported no usage. */
  estimated: number;
  input_tokens: number;
  output_tokens: number;
  wall_ms: number;
  /** CPU time measured for command tools; tools that cannot measure theirs add nothing. */
  cpu_ms: number;
}

// Each dimension's grouping expression; a fixed map, so no caller text reaches the SQL.
const KEYS: Record<RollupDimension, string> = {
  class: 'class',
  session: 'session_id',
  day: "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
  model: "CASE WHEN kind = 'llm' THEN backend || '/' || model ELSE 'tool:' || COALESCE(tool, '?') END",
};

/**
 * Spend grouped by actor class, session, UTC day, or backend and model, largest first, with
 * unpriced and estimated entries counted apart so that neither hides as $0.
 *
 * @example
 * const rows = await rollup(db, { by: 'class', since: new Date('2026-11-01') });
 */
export async function rollup(db: Queryable, filter: RollupFilter): Promise<RollupRow[]> {
  if (!(ROLLUP_DIMENSIONS as readonly string[]).includes(filter.by)) {
    throw new AosError('INVALID_INPUT', `by: expected one of ${ROLLUP_DIMENSIONS.join(', ')}, got ${JSON.stringify(filter.by)}`, { field: 'by' });
  }
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.since) add('at >= ?', filter.since);
  if (filter.until) add('at < ?', filter.until);
  if (filter.className) add('class = ?', filter.className);
  if (filter.sessionId) add('session_id = ?', filter.sessionId);
  const { rows } = await db.query<{ key: string; entries: number; pico: string; unpriced: number; estimated: number; input: string; output: string; wall: string; cpu: string }>(
    `SELECT ${KEYS[filter.by]} AS key, count(*)::int AS entries, COALESCE(sum(usd_pico), 0)::text AS pico,
            count(*) FILTER (WHERE usd_pico IS NULL)::int AS unpriced, count(*) FILTER (WHERE estimated)::int AS estimated,
            COALESCE(sum(input_tokens), 0)::text AS input, COALESCE(sum(output_tokens), 0)::text AS output,
            COALESCE(sum(wall_ms), 0)::text AS wall, COALESCE(sum(cpu_ms), 0)::text AS cpu
     FROM ledger_entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     GROUP BY 1 ORDER BY sum(usd_pico) DESC NULLS LAST, 1`,
    params,
  );
  return rows.map((row) => ({
    key: row.key,
    entries: row.entries,
    usd: formatUsd(BigInt(row.pico)),
    unpriced: row.unpriced,
    estimated: row.estimated,
    input_tokens: Number(row.input),
    output_tokens: Number(row.output),
    wall_ms: Number(row.wall),
    cpu_ms: Number(row.cpu),
  }));
}
