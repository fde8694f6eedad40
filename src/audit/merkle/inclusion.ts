import { AosError } from '../../errors.js';
import { equalBytes, HASH_SIZE, nodeHash } from './hash.js';
import { type ProofStep, resolveProof } from './proof.js';
import { decomposeRange, type NodeReader, requireCount, splitPoint } from './tree.js';

/**
 * The nodes an RFC 9162 inclusion proof (PATH, section 2.1.3.1) for leaf `index` in a tree of
 * `size` leaves is made of, nearest the leaf first. Every node lies inside [0, size).
 *
 * @example
 * inclusionProofPlan(5, 8); // [[{ level: 0, index: 4 }], [{ level: 1, index: 3 }], [{ level: 2, index: 0 }]]
 */
export function inclusionProofPlan(index: number, size: number): ProofStep[] {
  requireCount('size', size, 1);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new AosError('INVALID_INPUT', `index must be a whole number below the tree size ${size}, got ${index}`, {
      index,
      size,
    });
  }
  // Walk down from the root; the sibling of each subtree the leaf is in becomes a proof step.
  const steps: ProofStep[] = [];
  let begin = 0;
  let end = size;
  while (end - begin > 1) {
    const middle = begin + splitPoint(end - begin);
    if (index < middle) {
      steps.push(decomposeRange(middle, end));
      end = middle;
    } else {
      steps.push(decomposeRange(begin, middle));
      begin = middle;
    }
  }
  return steps.reverse();
}

/**
 * The RFC 9162 inclusion proof for leaf `index` in the tree of the first `size` leaves,
 * reading O(log size) stored nodes.
 *
 * @example
 * const proof = inclusionProof(5, 8, nodeReaderFromLeafHashes(leaves));
 */
export function inclusionProof(index: number, size: number, nodeAt: NodeReader): Uint8Array[] {
  return resolveProof(inclusionProofPlan(index, size), nodeAt);
}

/**
 * Checks an inclusion proof exactly as RFC 9162 section 2.1.3.2 describes: true when `leafHash`
 * is leaf `index` of the tree of `size` leaves whose root is `root`. Any malformed input
 * (index out of range, a leaf hash not 32 bytes, a proof too short or too long) is simply not a
 * valid proof: false.
 *
 * @example
 * if (!verifyInclusion(leafHash(entry), index, size, proof, signedRoot)) throw new Error('not in the log');
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  // Beyond the RFC, as transparency-dev/merkle does: with an empty proof the leaf hash is compared
  // to the root directly, and two equal non-hashes must not prove anything.
  if (leafHash.length !== HASH_SIZE) return false;
  // fn is the leaf's position and sn the last leaf's at the current level; halving instead of
  // shifting keeps sizes beyond 2^31 exact.
  let fn = index;
  let sn = size - 1;
  let computed = leafHash;
  for (const sibling of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      computed = nodeHash(sibling, computed);
      // A left sibling at the ragged edge may stand several levels up; skip the levels where
      // this subtree had no sibling at all.
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      computed = nodeHash(computed, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(computed, root);
}
