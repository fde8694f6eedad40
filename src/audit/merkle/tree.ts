import { AosError } from '../../errors.js';
import { emptyRoot, HASH_SIZE, nodeHash } from './hash.js';

/**
 * A perfect (complete, power-of-two sized) subtree: the node at `level`, `index` covers the
 * leaves [index * 2^level, (index + 1) * 2^level). Level 0 holds the leaf hashes themselves.
 */
export interface NodeAddress {
  readonly level: number;
  readonly index: number;
}

/**
 * Reads the hash of a perfect subtree. The proof functions only ever ask for subtrees whose
 * leaves all lie inside the tree size they were given, so a log that stores each node once it
 * is complete can answer from storage without rereading leaves.
 */
export type NodeReader = (level: number, index: number) => Uint8Array;

/**
 * Checks that `value` is a whole number in [min, max] (max defaults to the largest exact
 * integer), naming `field` in the error.
 */
export function requireCount(field: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new AosError('INVALID_INPUT', `${field} must be a whole number from ${min} to ${max}, got ${value}`, {
      field,
      value,
    });
  }
}

/** Checks that `hash` is a SHA-256 digest, naming `field` in the error. */
export function requireHash(field: string, hash: Uint8Array): void {
  if (hash.length !== HASH_SIZE) {
    throw new AosError('INVALID_INPUT', `${field} must be a ${HASH_SIZE}-byte SHA-256 hash, got ${hash.length} bytes`, {
      field,
      length: hash.length,
    });
  }
}

/**
 * The largest power of two strictly below `n` (n >= 2): where RFC 6962 splits a tree of n leaves.
 * Arithmetic rather than bit shifts, because shifts truncate to 32 bits.
 */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The perfect subtrees that exactly cover the leaves [begin, end), left to right, each as large
 * as its alignment allows. For [0, size) this is the log's right edge, largest first.
 *
 * @example
 * decomposeRange(0, 6); // [{ level: 2, index: 0 }, { level: 1, index: 2 }]
 */
export function decomposeRange(begin: number, end: number): NodeAddress[] {
  requireCount('begin', begin, 0);
  requireCount('end', end, begin);
  const nodes: NodeAddress[] = [];
  let position = begin;
  while (position < end) {
    let width = 1;
    let level = 0;
    while (position % (width * 2) === 0 && position + width * 2 <= end) {
      width *= 2;
      level += 1;
    }
    nodes.push({ level, index: position / width });
    position += width;
  }
  return nodes;
}

/**
 * Folds perfect-subtree hashes, listed largest first as decomposeRange gives them, into the
 * RFC 6962 root of the range they cover: the smaller subtrees always hang off the right.
 *
 * @example
 * const root = foldNodes([fourLeafNode, twoLeafNode]); // root of a 6-leaf tree
 */
export function foldNodes(hashes: readonly Uint8Array[]): Uint8Array {
  let root = hashes.at(-1);
  if (root === undefined) return emptyRoot();
  for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i]!, root);
  return root;
}

/**
 * The root of the first `size` leaves, from stored perfect-subtree hashes: O(log size) reads.
 *
 * @example
 * const root = rootFromNodes(1_000_000, (level, index) => store.node(level, index));
 */
export function rootFromNodes(size: number, nodeAt: NodeReader): Uint8Array {
  return foldNodes(decomposeRange(0, size).map((node) => nodeAt(node.level, node.index)));
}

/**
 * A NodeReader over an in-memory array of leaf hashes. It hashes every perfect subtree once up
 * front (about n node hashes), so many proofs over the same leaves stay cheap.
 *
 * @example
 * const proof = inclusionProof(3, leaves.length, nodeReaderFromLeafHashes(leaves));
 */
export function nodeReaderFromLeafHashes(leafHashes: readonly Uint8Array[]): NodeReader {
  const levels: (readonly Uint8Array[])[] = [leafHashes];
  for (let below = leafHashes; below.length >= 2; ) {
    const above: Uint8Array[] = [];
    for (let i = 0; i + 1 < below.length; i += 2) above.push(nodeHash(below[i]!, below[i + 1]!));
    levels.push(above);
    below = above;
  }
  return (level, index) => {
    const hash = levels[level]?.[index];
    if (hash === undefined) {
      throw new AosError(
        'INVALID_INPUT',
        `no complete subtree at level ${level}, index ${index} among ${leafHashes.length} leaf hashes; ask for a tree size no larger than the leaves given`,
        { level, index, leaves: leafHashes.length },
      );
    }
    return hash;
  };
}
