import { foldNodes, type NodeAddress, type NodeReader } from './tree.js';

/**
 * One hash of a proof, named by the perfect subtrees it folds from, largest first. Most steps
 * are a single stored node; a step over the ragged right edge of the tree lists several.
 */
export type ProofStep = readonly NodeAddress[];

/**
 * Turns a proof plan into proof hashes by reading each node it names. A database caller can
 * fetch every address of the plan in one query, then resolve from the rows it got.
 *
 * @example
 * const plan = inclusionProofPlan(index, size);
 * const rows = await store.nodes(plan.flat());
 * const proof = resolveProof(plan, (level, index) => rows.get(`${level}/${index}`)!);
 */
export function resolveProof(plan: readonly ProofStep[], nodeAt: NodeReader): Uint8Array[] {
  return plan.map((step) => foldNodes(step.map((node) => nodeAt(node.level, node.index))));
}
