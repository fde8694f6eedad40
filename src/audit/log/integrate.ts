import type { Db } from '../../store/db.js';
import { leafHash, MerkleAccumulator } from '../merkle/index.js';

// One integrator at a time across every process sharing the database.
const INTEGRATOR_LOCK = 7_400_002;
const BATCH = 2000;

export interface LogState {
  size: number;
  tree: MerkleAccumulator;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** The log's size and right edge, as the integrator last stored them. */
export async function readLogState(db: Pick<Db, 'query'>, forUpdate = false): Promise<LogState> {
  const row = (
    await db.query<{ size: number; edge: string }>(`SELECT size, edge FROM log_state${forUpdate ? ' FOR UPDATE' : ''}`)
  ).rows[0]!;
  const size = Number(row.size);
  const edge = (row.edge.match(/.{64}/g) ?? []).map((chunk) => Uint8Array.from(Buffer.from(chunk, 'hex')));
  return { size, tree: MerkleAccumulator.fromState({ size, edge }) };
}

/**
 * Gives every committed audit event not yet in the log its position (log_index), in the order
 * the events became visible, stores the perfect-subtree hashes this completes, and saves the
 * new right edge: all in one transaction per batch, under a lock, so positions are dense and
 * never reused. Returns the number integrated and the new size.
 *
 * @example
 * const { size } = await integrate(db);
 */
export async function integrate(db: Db, maxEvents = Number.POSITIVE_INFINITY): Promise<{ integrated: number; size: number }> {
  let integrated = 0;
  let size = 0;
  for (;;) {
    const batch = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [INTEGRATOR_LOCK]);
      const state = await readLogState(tx, true);
      const limit = Math.min(BATCH, maxEvents - integrated);
      const events = await tx.query<{ id: number; hash: string }>(
        'SELECT id, hash FROM audit_events WHERE log_index IS NULL ORDER BY id LIMIT $1',
        [limit],
      );
      if (events.rows.length === 0) return { count: 0, size: state.size };
      const ids: number[] = [];
      const indexes: number[] = [];
      const nodes: { level: number[]; index: number[]; hash: string[] } = { level: [], index: [], hash: [] };
      for (const event of events.rows) {
        ids.push(Number(event.id));
        indexes.push(state.tree.size);
        for (const node of state.tree.append(leafHash(Buffer.from(event.hash, 'hex')))) {
          nodes.level.push(node.level);
          nodes.index.push(node.index);
          nodes.hash.push(hex(node.hash));
        }
      }
      await tx.query(
        `UPDATE audit_events e SET log_index = v.idx
           FROM unnest($1::bigint[], $2::bigint[]) AS v(id, idx) WHERE e.id = v.id`,
        [ids, indexes],
      );
      await tx.query(
        'INSERT INTO merkle_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::text[])',
        [nodes.level, nodes.index, nodes.hash],
      );
      await tx.query('UPDATE log_state SET size = $1, edge = $2', [
        state.tree.size,
        state.tree.toState().edge.map(hex).join(''),
      ]);
      return { count: events.rows.length, size: state.tree.size };
    });
    integrated += batch.count;
    size = batch.size;
    if (batch.count === 0 || integrated >= maxEvents) return { integrated, size };
  }
}
