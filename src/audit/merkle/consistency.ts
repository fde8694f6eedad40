import { equalBytes, nodeHash } from './hash.js';
import { type ProofStep, resolveProof } from './proof.js';
import { decomposeRange, type NodeReader, requireCount, splitPoint } from './tree.js';

/**
 * The nodes an RFC 9162 consistency proof (PROOF and SUBPROOF, section 2.1.4.1) from the tree
 * of `size1` leaves to the tree of `size2` leaves is made of, deepest first. Equal sizes need
 * no nodes. Every node lies inside [0, size2).
 *
 * @example
 * consistencyProofPlan(3, 8); // [[{ level: 0, index: 2 }], [{ level: 0, index: 3 }], [{ level: 1, index: 0 }], [{ level: 2, index: 1 }]]
 */
export function consistencyProofPlan(size1: number, size2: number): ProofStep[] {
  requireCount('size2', size2, 1);
  requireCount('size1', size1, 1, size2);
  const steps: ProofStep[] = [];
  // SUBPROOF(m, D[begin:end], b) unrolled: b stays true while the old tree is still a
  // complete left subtree whose root the verifier already holds.
  let m = size1;
  let begin = 0;
  let end = size2;
  let oldRootKnown = true;
  while (m !== end - begin) {
    const k = splitPoint(end - begin);
    if (m <= k) {
      steps.push(decomposeRange(begin + k, end));
      end = begin + k;
    } else {
      steps.push(decomposeRange(begin, begin + k));
      m -= k;
      begin += k;
      oldRootKnown = false;
    }
  }
  if (!oldRootKnown) steps.push(decomposeRange(begin, end));
  return steps.reverse();
}

/**
 * The RFC 9162 consistency proof that the tree of `size1` leaves is a prefix of the tree of
 * `size2` leaves, reading O(log size2) stored nodes.
 *
 * @example
 * const proof = consistencyProof(3, 8, nodeReaderFromLeafHashes(leaves));
 */
export function consistencyProof(size1: number, size2: number, nodeAt: NodeReader): Uint8Array[] {
  if (size1 === size2) {
    requireCount('size1', size1, 1);
    return [];
  }
  return resolveProof(consistencyProofPlan(size1, size2), nodeAt);
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/**
 * Checks a consistency proof exactly as RFC 9162 section 2.1.4.2 describes: true when the tree
 * with root `root1` and `size1` leaves is a prefix of the tree with root `root2` and `size2`
 * leaves. Equal sizes need an empty proof and equal roots; an empty old tree proves nothing and
 * is rejected; any other malformed input is simply not a valid proof: false.
 *
 * @example
 * if (!verifyConsistency(oldSize, newSize, proof, oldRoot, newRoot)) throw new Error('log forked');
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2)) return false;
  if (size1 < 1 || size2 < size1) return false;
  if (size1 === size2) return proof.length === 0 && equalBytes(root1, root2);
  // When the old tree is a complete subtree of the new one, the proof omits its root, which the
  // verifier already holds.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  const [first, ...rest] = path;
  if (first === undefined) return false;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  let oldRoot = first;
  let newRoot = first;
  for (const node of rest) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      oldRoot = nodeHash(node, oldRoot);
      newRoot = nodeHash(node, newRoot);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      newRoot = nodeHash(newRoot, node);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(oldRoot, root1) && equalBytes(newRoot, root2);
}
