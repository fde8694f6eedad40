import { AosError } from '../../errors.js';
import type { Queryable } from '../../store/db.js';
import type { NodeAddress, NodeReader, ProofStep } from '../merkle/index.js';

/**
 * Loads, in one query, every stored perfect-subtree hash a proof plan names, and returns a
 * reader over them. A node the plan needs but the store lacks is a damaged log.
 *
 * @example
 * const nodeAt = await loadNodes(db, inclusionProofPlan(index, size));
 */
export async function loadNodes(db: Queryable, plan: readonly ProofStep[]): Promise<NodeReader> {
  const wanted: NodeAddress[] = plan.flat();
  const rows = await db.query<{ level: number; idx: number; hash: string }>(
    `SELECT n.level, n.idx, n.hash FROM merkle_nodes n
       JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx`,
    [wanted.map((node) => node.level), wanted.map((node) => node.index)],
  );
  const found = new Map(rows.rows.map((row) => [`${row.level}:${Number(row.idx)}`, row.hash]));
  return (level, index) => {
    const hash = found.get(`${level}:${index}`);
    if (hash === undefined) {
      throw new AosError('AUDIT_CHAIN_BROKEN', `the log's node (level ${level}, index ${index}) is missing from merkle_nodes`, {
        level,
        index,
      });
    }
    return Uint8Array.from(Buffer.from(hash, 'hex'));
  };
}
