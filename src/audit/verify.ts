import type { Queryable } from '../store/db.js';
import { type AuditEvent, GENESIS_HASH } from './event.js';
import { canonicalJsonOfParsed } from '../security/canonical/index.js';
import { GENESIS_RAW, rawChainHash, sameHash } from './hash.js';
import type { RawHash } from './merkle/hash.js';

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
 * The last verified row of a session's chain: its chain_seq and hash, and the hash as raw bytes
 * for hashing the next row (see newChainHead for the state before the first row).
 */
export interface ChainHead {
  seq: number;
  hash: string;
  raw: RawHash;
}

/** A session's chain before its first row: sequence zero, the genesis hash. */
export function newChainHead(): ChainHead {
  return { seq: 0, hash: GENESIS_HASH, raw: GENESIS_RAW };
}

/**
 * Why `event` does not extend the chain whose last row is `head`, or null when it does, in
 * which case `head` now describes `event`. The payload is taken as parsed JSON (from a json
 * column or an export) and serialised without re-checking.
 *
 * @example
 * const head = newChainHead();
 * const problem = advanceChain(head, firstEvent);
 */
export function advanceChain(head: ChainHead, event: AuditEvent): string | null {
  if (event.chain_seq !== head.seq + 1) {
    return `expected chain_seq ${head.seq + 1} in session ${event.session_id}, found ${event.chain_seq}: a row is missing, added or out of order`;
  }
  if (event.prev_hash !== head.hash) return `prev_hash ${event.prev_hash} does not match the previous row's hash ${head.hash}`;
  const recomputed = rawChainHash(head.raw, event, canonicalJsonOfParsed(event.payload));
  if (!sameHash(recomputed, event.hash)) {
    const hex = Buffer.from(recomputed, 'latin1').toString('hex');
    return `stored hash ${event.hash} differs from the recomputed ${hex}: the row was altered`;
  }
  head.seq = event.chain_seq;
  head.hash = event.hash;
  head.raw = recomputed;
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
  private head = newChainHead();
  private sessions = 0;
  private events = 0;
  private failure: ChainBreak | null = null;

  /** Returns false once the chain is broken. */
  check(event: AuditEvent): boolean {
    if (this.failure) return false;
    if (event.session_id !== this.session) {
      this.session = event.session_id;
      this.head = newChainHead();
      this.sessions++;
    }
    const problem = advanceChain(this.head, event);
    if (problem !== null) {
      this.failure = { session_id: event.session_id, chain_seq: event.chain_seq, id: event.id, reason: problem };
      return false;
    }
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
