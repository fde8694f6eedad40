import type { Queryable } from '../store/db.js';
import { formatUsd, type Pico, usdToPico } from './money.js';

const DAY_MS = 86_400_000;

/** The ceilings of one actor class, as aosiq.yaml sets them (dollars). */
export interface ClassCeilings {
  session_ceiling_usd?: number | undefined;
  daily_ceiling_usd?: number | undefined;
}

export interface Headroom {
  /** Spend and open holds (what the ceilings count) of a live session, per class of its live actors. */
  sessions: {
    session_id: string;
    class: string;
    live_actors: number;
    spent_usd: string;
    held_usd: string;
    ceiling_usd: string | null;
    /** (spent + held) / ceiling; null without a ceiling. */
    used: number | null;
  }[];
  /** Each class's spend and holds of this UTC day against its daily ceiling. */
  classes: { class: string; spent_usd: string; held_usd: string; ceiling_usd: string | null; used: number | null }[];
}

/**
 * How close each live session and each class is to its ceiling, counted as the reservation
 * does (reserve.ts): settled spend plus open, unexpired holds. A session's ceiling is its
 * actors' class's, so a session running actors of two classes shows a row for each.
 *
 * @example
 * const { sessions } = await headroom(db, { janitor: { session_ceiling_usd: 2 } }, new Date());
 */
export async function headroom(db: Queryable, ceilings: Record<string, ClassCeilings>, now: Date): Promise<Headroom> {
  const sessions = await db.query<{ session_id: string; class: string; live_actors: number; spent: string; held: string }>(
    `SELECT a.session_id, a.class, count(*)::int AS live_actors,
            (SELECT COALESCE(sum(usd_pico), 0) FROM ledger_entries e WHERE e.session_id = a.session_id)::text AS spent,
            (SELECT COALESCE(sum(usd_pico), 0) FROM ledger_reservations r
              WHERE r.session_id = a.session_id AND r.settled_at IS NULL AND r.expires_at > $2)::text AS held
       FROM actors a WHERE a.state = ANY($1)
      GROUP BY a.session_id, a.class ORDER BY a.session_id, a.class LIMIT 500`,
    [['created', 'runnable', 'running', 'waiting_approval'], now],
  );
  const start = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  const days = await db.query<{ class: string; spent: string; held: string }>(
    `SELECT class, sum(spent)::text AS spent, sum(held)::text AS held FROM (
       SELECT class, usd_pico AS spent, 0 AS held FROM ledger_entries WHERE at >= $1 AND usd_pico IS NOT NULL
       UNION ALL
       SELECT class, 0, usd_pico FROM ledger_reservations WHERE settled_at IS NULL AND expires_at > $2 AND created_at >= $1
     ) day GROUP BY class`,
    [start, now],
  );
  const byClass = new Map(days.rows.map((row) => [row.class, row]));
  const classNames = [...new Set([...Object.keys(ceilings), ...byClass.keys()])].sort();
  return {
    sessions: sessions.rows.map((row) => ({
      session_id: row.session_id,
      class: row.class,
      live_actors: row.live_actors,
      ...against(BigInt(row.spent), BigInt(row.held), ceilings[row.class]?.session_ceiling_usd),
    })),
    classes: classNames.map((name) => {
      const day = byClass.get(name);
      return { class: name, ...against(BigInt(day?.spent ?? 0), BigInt(day?.held ?? 0), ceilings[name]?.daily_ceiling_usd) };
    }),
  };
}

function against(spent: Pico, held: Pico, ceiling: number | undefined): { spent_usd: string; held_usd: string; ceiling_usd: string | null; used: number | null } {
  const limit = ceiling === undefined ? null : usdToPico(ceiling);
  return {
    spent_usd: formatUsd(spent),
    held_usd: formatUsd(held),
    ceiling_usd: limit === null ? null : formatUsd(limit),
    used: limit === null ? null : Number(((spent + held) * 10_000n) / limit) / 10_000,
  };
}
