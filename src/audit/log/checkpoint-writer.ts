import { AosError } from '../../errors.js';
import type { Db } from '../../store/db.js';
import { formatCheckpoint, type NoteSigner, signNote } from '../checkpoint/index.js';
import { consistencyProofPlan, resolveProof, verifyConsistency } from '../merkle/index.js';
import { readLogState } from './integrate.js';
import { loadNodes } from './nodes.js';

export interface StoredCheckpoint {
  size: number;
  root: string;
  note: string;
  created_at: Date;
}

/** The newest signed checkpoint, or null before the first. */
export async function latestCheckpoint(db: Pick<Db, 'query'>): Promise<StoredCheckpoint | null> {
  const row = (
    await db.query<StoredCheckpoint>('SELECT size, root, note, created_at FROM checkpoints ORDER BY size DESC LIMIT 1')
  ).rows[0];
  return row ? { ...row, size: Number(row.size) } : null;
}

/**
 * Signs a checkpoint of the log as integrated so far, when it has grown since the last one.
 * Before signing, it proves from the stored nodes that the new tree extends the last signed
 * one, so a log rewritten in the database is refused rather than signed.
 *
 * @example
 * const checkpoint = await writeCheckpoint(db, signer, 'aosiq/local');
 */
export async function writeCheckpoint(db: Db, signer: NoteSigner, origin: string): Promise<StoredCheckpoint | null> {
  const { size, tree } = await readLogState(db);
  const last = await latestCheckpoint(db);
  if (size === 0 || (last !== null && last.size >= size)) return null;
  const root = tree.root();
  if (last !== null) {
    const plan = consistencyProofPlan(last.size, size);
    const proof = resolveProof(plan, await loadNodes(db, plan));
    if (!verifyConsistency(last.size, size, proof, Buffer.from(last.root, 'hex'), root)) {
      throw new AosError(
        'AUDIT_CHAIN_BROKEN',
        `the stored log of ${size} events does not extend the checkpoint of size ${last.size}: the log was rewritten; refusing to sign`,
        { size, previous: last.size },
      );
    }
  }
  const note = signNote(formatCheckpoint({ origin, size, rootHash: root }), [signer]);
  const inserted = await db.query<StoredCheckpoint>(
    `INSERT INTO checkpoints (size, root, note) VALUES ($1, $2, $3)
     ON CONFLICT (size) DO NOTHING RETURNING size, root, note, created_at`,
    [size, Buffer.from(root).toString('hex'), note],
  );
  const row = inserted.rows[0];
  return row ? { ...row, size: Number(row.size) } : null;
}
