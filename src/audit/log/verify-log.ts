import { openCheckpoint, type NoteVerifier } from '../checkpoint/index.js';
import type { AuditEvent } from '../event.js';
import { advanceChain, type ChainHead, newChainHead } from '../verify.js';
import { extendRawEdge } from '../merkle/accumulator.js';
import { type RawHash, rawLeafHash } from '../merkle/hash.js';
import { foldNodes } from '../merkle/index.js';

/** An event as exported and verified: the row plus its log position (null: not yet in the log). */
export type LoggedEvent = AuditEvent & { log_index: number | null };

export interface LogBreak {
  /** The event at fault when one can be named, else null (a range of the log is). */
  id: number | null;
  session_id: string | null;
  chain_seq: number | null;
  log_index: number | null;
  reason: string;
}

export interface LogReport {
  ok: boolean;
  events: number;
  sessions: number;
  /** Anchored checkpoints whose signature and root matched the log. */
  checkpointsVerified: number;
  firstBreak: LogBreak | null;
}

interface Anchor {
  size: number;
  root: Uint8Array;
}

/**
 * Verifies an audit log event by event, in log order (then the not-yet-integrated tail): each
 * session's chain (sequence, links, hashes), dense log positions, and the Merkle root at every
 * anchored checkpoint, whose signature must verify with the log's key. Catches what a chain
 * alone cannot: truncated tails, deleted sessions, and chains rewritten consistently by someone
 * with the database but not the checkpoint key.
 *
 * @example
 * const verifier = new LogVerifier(anchorNotes, key);
 * for await (const event of events) if (!verifier.check(event)) break;
 * const report = verifier.finish();
 */
export class LogVerifier {
  private readonly heads = new Map<string, ChainHead>();
  private readonly anchors: Anchor[] = [];
  // The Merkle tree as its right edge (see extendRawEdge): the leaf hashes are the verifier's own.
  private readonly edge: RawHash[] = [];
  private size = 0;
  private nextAnchor = 0;
  private lastGoodSize = 0;
  private events = 0;
  private verified = 0;
  private failure: LogBreak | null = null;

  constructor(anchorNotes: readonly { size: number; note: string }[], verifier: NoteVerifier) {
    for (const { size, note } of anchorNotes) {
      try {
        const { checkpoint } = openCheckpoint(note, [verifier]);
        if (checkpoint.size !== size) throw new Error(`it is filed as size ${size} but says ${checkpoint.size}`);
        this.anchors.push({ size: checkpoint.size, root: checkpoint.rootHash });
      } catch (error) {
        this.failure ??= this.rangeBreak(`anchored checkpoint of size ${size} is not valid: ${(error as Error).message}`);
      }
    }
    this.anchors.sort((a, b) => a.size - b.size);
  }

  /** Returns false once the log is broken. */
  check(event: LoggedEvent): boolean {
    if (this.failure) return false;
    const known = this.heads.get(event.session_id);
    const head = known ?? newChainHead();
    const problem = advanceChain(head, event);
    if (problem !== null) return this.broken(event, problem);
    if (known === undefined) this.heads.set(event.session_id, head);
    this.events++;
    if (event.log_index === null) return true;
    if (event.log_index !== this.size) {
      return this.broken(event, `expected log position ${this.size}, found ${event.log_index}: positions must be dense`);
    }
    // The head now holds the event's hash as raw bytes, the leaf's input.
    extendRawEdge(this.edge, this.size++, rawLeafHash(head.raw));
    return this.checkAnchorAt(this.size);
  }

  /** The report; also fails when the log ends before the largest anchored checkpoint. */
  finish(): LogReport {
    const largest = this.anchors.at(-1);
    if (!this.failure && largest && this.size < largest.size) {
      this.failure = this.rangeBreak(
        `the log holds ${this.size} events but a checkpoint of size ${largest.size} is anchored: events were removed after it`,
      );
    }
    return {
      ok: this.failure === null,
      events: this.events,
      sessions: this.heads.size,
      checkpointsVerified: this.verified,
      firstBreak: this.failure,
    };
  }

  /** Checks every anchor of this size (several stores may each hold one). */
  private checkAnchorAt(size: number): boolean {
    if (this.anchors[this.nextAnchor]?.size !== size) return true;
    const root = Buffer.from(foldNodes(this.edge.map((raw) => Buffer.from(raw, 'latin1'))));
    for (let anchor = this.anchors[this.nextAnchor]; anchor?.size === size; anchor = this.anchors[++this.nextAnchor]) {
      if (!root.equals(anchor.root)) {
        this.failure = this.rangeBreak(
          `the log's root at size ${size} differs from the anchored checkpoint: an event at a position in [${this.lastGoodSize}, ${size}) was altered, removed, inserted or reordered`,
        );
        return false;
      }
      this.verified++;
    }
    this.lastGoodSize = size;
    return true;
  }

  private broken(event: LoggedEvent, reason: string): false {
    this.failure = { id: event.id, session_id: event.session_id, chain_seq: event.chain_seq, log_index: event.log_index, reason };
    return false;
  }

  private rangeBreak(reason: string): LogBreak {
    return { id: null, session_id: null, chain_seq: null, log_index: null, reason };
  }
}
