import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rootFromLeafHashes } from './accumulator.js';
import { consistencyProof, consistencyProofPlan, verifyConsistency } from './consistency.js';
import { leafHash, nodeHash } from './hash.js';
import { inclusionProof, inclusionProofPlan, verifyInclusion } from './inclusion.js';
import { type NodeReader, nodeReaderFromLeafHashes, rootFromNodes } from './tree.js';

const hex = (hashes: readonly Uint8Array[]) => hashes.map((hash) => Buffer.from(hash).toString('hex'));

function leavesOf(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`)));
}

// RFC 9162 section 2.1 transcribed literally, recursion and all: the oracle for the fast code.
function largestPowerBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function referenceRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!;
  const k = largestPowerBelow(leaves.length);
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}
function referencePath(m: number, leaves: readonly Uint8Array[]): Uint8Array[] {
  if (leaves.length === 1) return [];
  const k = largestPowerBelow(leaves.length);
  return m < k
    ? [...referencePath(m, leaves.slice(0, k)), referenceRoot(leaves.slice(k))]
    : [...referencePath(m - k, leaves.slice(k)), referenceRoot(leaves.slice(0, k))];
}
function referenceSubproof(m: number, leaves: readonly Uint8Array[], known: boolean): Uint8Array[] {
  if (m === leaves.length) return known ? [] : [referenceRoot(leaves)];
  const k = largestPowerBelow(leaves.length);
  return m <= k
    ? [...referenceSubproof(m, leaves.slice(0, k), known), referenceRoot(leaves.slice(k))]
    : [...referenceSubproof(m - k, leaves.slice(k), false), referenceRoot(leaves.slice(0, k))];
}

// Records every node a proof asks for, to hold the generators to their storage contract.
function watchedReader(leaves: readonly Uint8Array[], size: number): { nodeAt: NodeReader; asked: number } {
  const inner = nodeReaderFromLeafHashes(leaves);
  const watch = {
    asked: 0,
    nodeAt: (level: number, index: number) => {
      watch.asked += 1;
      expect((index + 1) * 2 ** level).toBeLessThanOrEqual(size);
      return inner(level, index);
    },
  };
  return watch;
}

function flipByte(proof: readonly Uint8Array[], choice: number): Uint8Array[] {
  const copy = proof.map((hash) => Uint8Array.from(hash));
  const node = copy[choice % copy.length]!;
  const position = Math.floor(choice / copy.length) % node.length;
  node[position] = node[position]! ^ (1 + (choice % 255));
  return copy;
}

function removeNode(proof: readonly Uint8Array[], choice: number): Uint8Array[] {
  return proof.filter((_, i) => i !== choice % proof.length);
}

describe('generated proofs', () => {
  it('match the literal RFC recursion and the root of every prefix', () => {
    const leaves = leavesOf(70);
    const nodeAt = nodeReaderFromLeafHashes(leaves);
    for (let size = 1; size <= leaves.length; size++) {
      const prefix = leaves.slice(0, size);
      const root = referenceRoot(prefix);
      expect(hex([rootFromLeafHashes(prefix), rootFromNodes(size, nodeAt)])).toEqual(hex([root, root]));
      for (let index = 0; index < size; index++) {
        expect(hex(inclusionProof(index, size, nodeAt))).toEqual(hex(referencePath(index, prefix)));
      }
      for (let size1 = 1; size1 < size; size1++) {
        expect(hex(consistencyProof(size1, size, nodeAt))).toEqual(hex(referenceSubproof(size1, prefix, true)));
      }
    }
  });

  it('verify for every leaf, and fail once a byte is flipped or a node removed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), (size, choice) => {
        const leaves = leavesOf(size);
        const root = rootFromLeafHashes(leaves);
        const reader = watchedReader(leaves, size);
        for (let index = 0; index < size; index++) {
          const proof = inclusionProof(index, size, reader.nodeAt);
          const leaf = leaves[index]!;
          expect(verifyInclusion(leaf, index, size, proof, root)).toBe(true);
          expect(verifyInclusion(flipByte([leaf], choice)[0]!, index, size, proof, root)).toBe(false);
          expect(verifyInclusion(leaf, index, size, proof, flipByte([root], choice)[0]!)).toBe(false);
          expect(verifyInclusion(leaf, index, size, [...proof, root], root)).toBe(false);
          if (proof.length > 0) {
            expect(verifyInclusion(leaf, index, size, flipByte(proof, choice + index), root)).toBe(false);
            expect(verifyInclusion(leaf, index, size, removeNode(proof, choice + index), root)).toBe(false);
          }
        }
        // O(log n) reads per proof, not a pass over the leaves.
        expect(reader.asked).toBeLessThanOrEqual(size * 2 * Math.ceil(Math.log2(size + 1)));
      }),
      { numRuns: 40 },
    );
  });

  it('verify consistency for every 0 < size1 <= size2, and fail once tampered with', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }).chain((size2) => fc.tuple(fc.integer({ min: 1, max: size2 }), fc.constant(size2))),
        fc.nat(),
        ([size1, size2], choice) => {
          const leaves = leavesOf(size2);
          const reader = watchedReader(leaves, size2);
          const root1 = rootFromLeafHashes(leaves.slice(0, size1));
          const root2 = rootFromLeafHashes(leaves);
          const proof = consistencyProof(size1, size2, reader.nodeAt);
          expect(verifyConsistency(size1, size2, proof, root1, root2)).toBe(true);
          expect(verifyConsistency(size1, size2, proof, flipByte([root1], choice)[0]!, root2)).toBe(false);
          expect(verifyConsistency(size1, size2, proof, root1, flipByte([root2], choice)[0]!)).toBe(false);
          if (proof.length > 0) {
            expect(verifyConsistency(size1, size2, flipByte(proof, choice), root1, root2)).toBe(false);
            expect(verifyConsistency(size1, size2, removeNode(proof, choice), root1, root2)).toBe(false);
          }
          expect(verifyConsistency(size1, size2, [...proof, root2], root1, root2)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('trees beyond 32-bit sizes', () => {
  // With every leaf equal, every perfect subtree at one level has the same hash, so a tree of
  // 2^40 leaves can be read without building it. Equal leaves make wrong indexes and sizes
  // indistinguishable, so only the accepting side and a wrong root are checked here.
  const sameLeaf = leafHash(new Uint8Array([7]));
  const levelHashes = [sameLeaf];
  for (let level = 1; level <= 53; level++) levelHashes.push(nodeHash(levelHashes[level - 1]!, levelHashes[level - 1]!));
  const nodeAt: NodeReader = (level) => levelHashes[level]!;

  it('proves inclusion and consistency where bit shifts would truncate', () => {
    const size2 = 2 ** 40 + 2 ** 33 + 5;
    const size1 = 2 ** 32 + 3;
    const root2 = rootFromNodes(size2, nodeAt);
    const root1 = rootFromNodes(size1, nodeAt);
    for (const index of [0, 2 ** 32, 2 ** 40 + 2 ** 33 + 4, 2 ** 35 + 1]) {
      const proof = inclusionProof(index, size2, nodeAt);
      expect(verifyInclusion(sameLeaf, index, size2, proof, root2)).toBe(true);
      expect(verifyInclusion(sameLeaf, index, size2, proof, root1)).toBe(false);
    }
    const proof = consistencyProof(size1, size2, nodeAt);
    expect(verifyConsistency(size1, size2, proof, root1, root2)).toBe(true);
    expect(verifyConsistency(size1, size2, proof, root2, root2)).toBe(false);
  });
});

describe('proof generation input checks', () => {
  it('rejects a leaf index outside the tree', () => {
    expect(() => inclusionProofPlan(8, 8)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => inclusionProofPlan(-1, 8)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => inclusionProofPlan(0, 0)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('rejects consistency from an empty tree or to a smaller one', () => {
    expect(() => consistencyProofPlan(0, 4)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => consistencyProofPlan(5, 4)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => consistencyProof(0, 0, nodeReaderFromLeafHashes([]))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  it('needs no nodes between equal sizes', () => {
    expect(consistencyProofPlan(6, 6)).toEqual([]);
    expect(consistencyProof(6, 6, nodeReaderFromLeafHashes([]))).toEqual([]);
  });

  it('names ragged-edge steps as several perfect subtrees', () => {
    // Leaf 0 of 7: its top sibling covers leaves 4..6, stored as a pair plus a single leaf.
    expect(inclusionProofPlan(0, 7).at(-1)).toEqual([
      { level: 1, index: 2 },
      { level: 0, index: 6 },
    ]);
  });
});
