import type { Queryable } from '../store/db.js';
import { type AuditEvent, GENESIS_HASH } from './event.js';
import { canonicalJsonOfParsed } from '../security/canonical/index.js';
import { chainHash } from './hash.js';

export interface ChainBreak {
  session_id: string;
  chain_seq: number;
  id: number | null;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  sessions: number;
  events: number;
  firstBreak: ChainBreak | null;
}

/**
 * Why `event` does not extend the chain whose last row is `head` (chain_seq and hash; zero and
 * the genesis hash before the first row), or null when it does. The payload is taken as parsed
 * JSON (from a json column or an export) and serialised without re-checking.
 *
 * @example
 * const problem = linkProblem({ seq: 0, hash: GENESIS_HASH }, firstEvent);
 */
export function linkProblem(head: { seq: number; hash: string }, event: AuditEvent): string | null {
  if (event.chain_seq !== head.seq + 1) {
    return `expected chain_seq ${head.seq + 1} in session ${event.session_id}, found ${event.chain_seq}: a row is missing, added or out of order`;
  }
  if (event.prev_hash !== head.hash) return `prev_hash ${event.prev_hash} does not match the previous row's hash ${head.hash}`;
  const recomputed = chainHash(head.hash, event, canonicalJsonOfParsed(event.payload));
  if (recomputed !== event.hash) return `stored hash ${event.hash} differs from the recomputed ${recomputed}: the row was altered`;
  return null;
}

/**
 * Checks chains event by event. Feed it each session's events in chain order (sessions one
 * after another); it stops at the first break and names that row.
 *
 * @example
 * const verifier = new ChainVerifier();
 * for (const event of events) if (!verifier.check(event)) break;
 * verifier.report();
 */
export class ChainVerifier {
  private session: string | null = null;
  private seq = 0;
  private hash = GENESIS_HASH;
  private sessions = 0;
  private events = 0;
  private failure: ChainBreak | null = null;

  /** Returns false once the chain is broken. */
  check(event: AuditEvent): boolean {
    if (this.failure) return false;
    if (event.session_id !== this.session) {
      this.session = event.session_id;
      this.seq = 0;
      this.hash = GENESIS_HASH;
      this.sessions++;
    }
    const broken = (reason: string) => {
      this.failure = { session_id: event.session_id, chain_seq: event.chain_seq, id: event.id, reason };
      return false;
    };
    const problem = linkProblem({ seq: this.seq, hash: this.hash }, event);
    if (problem !== null) return broken(problem);
    this.seq = event.chain_seq;
    this.hash = event.hash;
    this.events++;
    return true;
  }

  report(): VerifyReport {
    return {
      ok: this.failure === null,
      sessions: this.sessions,
      events: this.events,
      firstBreak: this.failure,
    };
  }
}

const PAGE = 2000;

/**
 * Verifies the chains stored in the database, all sessions or one, reading in pages so a large
 * log never sits in memory at once. `onProgress` is called after each page.
 *
 * @example
 * const report = await verifyStoredChains(db, { sessionId: 'ses_1' });
 */
export async function verifyStoredChains(
  db: Queryable,
  options: { sessionId?: string | undefined; onProgress?: (checked: number) => void } = {},
): Promise<VerifyReport> {
  const verifier = new ChainVerifier();
  let after: [string, number] = ['', 0];
  for (;;) {
    const params: unknown[] = [after[0], after[1], PAGE];
    let filter = '';
    if (options.sessionId !== undefined) {
      params.push(options.sessionId);
      filter = 'AND session_id = $4';
    }
    const page = await db.query<AuditEvent>(
      `SELECT id, session_id, chain_seq, prev_hash, hash, type, actor_id, principal, payload, at
         FROM audit_events WHERE (session_id, chain_seq) > ($1, $2) ${filter}
        ORDER BY session_id, chain_seq LIMIT $3`,
      params,
    );
    for (const row of page.rows) {
      if (!verifier.check({ ...row, id: Number(row.id), chain_seq: Number(row.chain_seq) }))
        return verifier.report();
    }
    options.onProgress?.(verifier.report().events);
    const last = page.rows.at(-1);
    if (!last || page.rows.length < PAGE) break;
    after = [last.session_id, Number(last.chain_seq)];
  }
  const report = verifier.report();
  return report;
}
