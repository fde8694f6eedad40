import type { Clock } from '../../clock.js';
import { AosError } from '../../errors.js';
import type { Db } from '../../store/db.js';
import type { AnchorSink, AnchorStatus, SinkStatus } from '../anchors/index.js';
import type { NoteSigner } from '../checkpoint/index.js';
import { type StoredCheckpoint, latestCheckpoint, writeCheckpoint } from './checkpoint-writer.js';
import { integrate } from './integrate.js';

export interface SealOptions {
  signer: NoteSigner;
  origin: string;
  sinks: readonly AnchorSink[];
  everyEvents: number;
  everySeconds: number;
  clock: Clock;
  /** Made by newAnchorStatus(sinks): one entry per sink, in the same order. */
  status: AnchorStatus;
  /** Sign a checkpoint now if the log grew at all, whatever the schedule says. */
  force?: boolean;
}

/**
 * Brings the log up to date: integrates new events, signs a checkpoint when one is due (every N
 * events or T seconds), and anchors in every store each checkpoint it does not hold yet, so
 * anchoring catches up after an outage. Anchor failures are counted, never thrown: actors must
 * not stop because an anchor store did.
 *
 * @example
 * await sealLog(db, { signer, origin, sinks, everyEvents: 1000, everySeconds: 60, clock, status });
 */
export async function sealLog(db: Db, options: SealOptions): Promise<{ size: number; checkpoint: StoredCheckpoint | null }> {
  const { size } = await integrate(db);
  const last = await latestCheckpoint(db);
  const due =
    last === null ||
    options.force === true ||
    size - last.size >= options.everyEvents ||
    options.clock.now().getTime() - new Date(last.created_at).getTime() >= options.everySeconds * 1000;
  const checkpoint = (due ? await writeCheckpoint(db, options.signer, options.origin) : null) ?? last;
  for (const [i, sink] of options.sinks.entries()) {
    await anchorPending(db, sink, options.status.sinks[i]!, checkpoint?.size ?? 0, options);
  }
  await updateLag(db, options.status, checkpoint, options.clock);
  return { size, checkpoint };
}

async function anchorPending(
  db: Db,
  sink: AnchorSink,
  status: SinkStatus,
  signedSize: number,
  { status: total, clock }: SealOptions,
): Promise<void> {
  try {
    status.anchoredSize = await sink.anchoredSize();
    if (status.anchoredSize > signedSize) {
      throw new AosError(
        'AUDIT_CHAIN_BROKEN',
        `holds a checkpoint of size ${status.anchoredSize} but the log's newest is ${signedSize}: the log lost events, or this store anchors another log`,
        { anchoredSize: status.anchoredSize, signedSize },
      );
    }
    const pending = await db.query<{ size: number; note: string }>('SELECT size, note FROM checkpoints WHERE size > $1 ORDER BY size', [
      status.anchoredSize,
    ]);
    for (const row of pending.rows) {
      await sink.write(Number(row.size), row.note);
      const now = clock.now();
      status.successes++;
      status.lastSuccessAt = now;
      status.anchoredSize = Number(row.size);
      total.successes++;
      total.lastSuccessAt = now;
    }
    status.ok = true;
  } catch (error) {
    const message = `${sink.name}: ${(error as Error).message}`;
    status.ok = false;
    status.failures++;
    status.lastError = message;
    total.failures++;
    total.lastError = message;
  }
}

async function updateLag(db: Db, status: AnchorStatus, checkpoint: StoredCheckpoint | null, clock: Clock): Promise<void> {
  status.checkpointSize = checkpoint?.size ?? 0;
  status.anchoredSize = Math.min(status.checkpointSize, ...status.sinks.map((sink) => sink.anchoredSize));
  status.lagEvents = status.checkpointSize - status.anchoredSize;
  const oldest = (
    await db.query<{ created_at: Date }>('SELECT created_at FROM checkpoints WHERE size > $1 ORDER BY size LIMIT 1', [status.anchoredSize])
  ).rows[0];
  status.lagSeconds = oldest ? Math.max(0, Math.floor((clock.now().getTime() - new Date(oldest.created_at).getTime()) / 1000)) : 0;
}
