import type { Clock } from '../../clock.js';
import type { Db } from '../../store/db.js';
import { readFileAnchors, writeFileAnchor } from '../anchors/file-sink.js';
import type { NoteSigner } from '../checkpoint/index.js';
import { type StoredCheckpoint, latestCheckpoint, writeCheckpoint } from './checkpoint-writer.js';
import { integrate } from './integrate.js';

/** How anchoring is going; what /api/v1/health reports as audit_anchors. */
export interface AnchorStatus {
  successes: number;
  failures: number;
  lastSuccessAt: Date | null;
  lastError: string | null;
  /** Size of the newest checkpoint known to be anchored. */
  anchoredSize: number;
}

export function newAnchorStatus(): AnchorStatus {
  return { successes: 0, failures: 0, lastSuccessAt: null, lastError: null, anchoredSize: 0 };
}

export interface SealOptions {
  signer: NoteSigner;
  origin: string;
  anchorDirectory: string;
  everyEvents: number;
  everySeconds: number;
  clock: Clock;
  status: AnchorStatus;
  /** Sign a checkpoint now if the log grew at all, whatever the schedule says. */
  force?: boolean;
}

/**
 * Brings the log up to date: integrates new events, signs a checkpoint when one is due (every N
 * events or T seconds), and anchors every checkpoint the anchor directory does not hold yet, so
 * anchoring catches up after an outage. Anchor failures are counted, never thrown: actors must
 * not stop because the anchor store did.
 *
 * @example
 * await sealLog(db, { signer, origin, anchorDirectory, everyEvents: 1000, everySeconds: 60, clock, status });
 */
export async function sealLog(db: Db, options: SealOptions): Promise<{ size: number; checkpoint: StoredCheckpoint | null }> {
  const { size } = await integrate(db);
  const last = await latestCheckpoint(db);
  const due =
    last === null ||
    options.force === true ||
    size - last.size >= options.everyEvents ||
    options.clock.now().getTime() - new Date(last.created_at).getTime() >= options.everySeconds * 1000;
  const checkpoint = due ? await writeCheckpoint(db, options.signer, options.origin) : null;
  await anchorPending(db, options);
  return { size, checkpoint: checkpoint ?? last };
}

async function anchorPending(db: Db, { anchorDirectory, status, clock }: SealOptions): Promise<void> {
  try {
    const anchored = readFileAnchors(anchorDirectory).at(-1)?.size ?? 0;
    const pending = await db.query<{ size: number; note: string }>(
      'SELECT size, note FROM checkpoints WHERE size > $1 ORDER BY size',
      [anchored],
    );
    for (const row of pending.rows) {
      writeFileAnchor(anchorDirectory, Number(row.size), row.note);
      status.successes++;
      status.lastSuccessAt = clock.now();
      status.anchoredSize = Number(row.size);
    }
    if (pending.rows.length === 0) status.anchoredSize = Math.max(status.anchoredSize, anchored);
  } catch (error) {
    status.failures++;
    status.lastError = (error as Error).message;
  }
}
