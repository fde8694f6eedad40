import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extendRawEdge, MerkleAccumulator, rootFromLeafHashes } from './accumulator.js';
import { leafHash } from './hash.js';
import { foldNodes, nodeReaderFromLeafHashes } from './tree.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function leavesOf(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => leafHash(new TextEncoder().encode(`event ${i}`)));
}

describe('MerkleAccumulator', () => {
  it('gives the tree root for every prefix', () => {
    const leaves = leavesOf(300);
    const tree = new MerkleAccumulator();
    leaves.forEach((leaf, i) => {
      tree.append(leaf);
      expect(tree.size).toBe(i + 1);
      expect(hex(tree.root())).toBe(hex(rootFromLeafHashes(leaves.slice(0, i + 1))));
    });
  });

  it('gives the same roots when extended over raw hashes', () => {
    const leaves = leavesOf(300);
    const edge: string[] = [];
    leaves.forEach((leaf, i) => {
      extendRawEdge(edge, i, Buffer.from(leaf).toString('latin1'));
      const root = foldNodes(edge.map((raw) => new Uint8Array(Buffer.from(raw, 'latin1'))));
      expect(hex(root)).toBe(hex(rootFromLeafHashes(leaves.slice(0, i + 1))));
    });
  });

  it('reports every perfect subtree exactly once, with the hash storage will serve', () => {
    const leaves = leavesOf(100);
    const nodeAt = nodeReaderFromLeafHashes(leaves);
    const tree = new MerkleAccumulator();
    const seen = new Set<string>();
    for (const leaf of leaves) {
      for (const node of tree.append(leaf)) {
        const key = `${node.level}/${node.index}`;
        expect(seen.has(key)).toBe(false);
        seen.add(key);
        expect(hex(node.hash)).toBe(hex(nodeAt(node.level, node.index)));
      }
    }
    // 100 leaves + 50 + 25 + 12 + 6 + 3 + 1 perfect subtrees.
    expect(seen.size).toBe(197);
  });

  it('resumes from its saved state or bytes with the same roots', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 }), (saveAt, more) => {
        const leaves = leavesOf(saveAt + more);
        const original = new MerkleAccumulator();
        leaves.slice(0, saveAt).forEach((leaf) => original.append(leaf));
        const fromState = MerkleAccumulator.fromState(original.toState());
        const fromBytes = MerkleAccumulator.fromBytes(original.toBytes());
        for (const leaf of leaves.slice(saveAt)) {
          original.append(leaf);
          fromState.append(leaf);
          fromBytes.append(leaf);
          expect(hex(fromState.root())).toBe(hex(original.root()));
          expect(hex(fromBytes.root())).toBe(hex(original.root()));
        }
        expect(fromBytes.size).toBe(saveAt + more);
        expect(hex(original.root())).toBe(hex(rootFromLeafHashes(leaves)));
      }),
      { numRuns: 50 },
    );
  });

  it('keeps its state apart from the arrays it was given and returned', () => {
    const leaves = leavesOf(3);
    const tree = new MerkleAccumulator();
    leaves.forEach((leaf) => tree.append(leaf));
    const before = hex(tree.root());
    tree.toState().edge[0]!.fill(0);
    leaves[2]!.fill(0);
    expect(hex(tree.root())).toBe(before);
  });

  it('rejects a state whose edge does not fit its size', () => {
    const state = (() => {
      const tree = new MerkleAccumulator();
      leavesOf(5).forEach((leaf) => tree.append(leaf));
      return tree.toState();
    })();
    const invalid = expect.objectContaining({ code: 'INVALID_INPUT' });
    expect(() => MerkleAccumulator.fromState({ size: 7, edge: state.edge })).toThrow(invalid);
    expect(() => MerkleAccumulator.fromState({ size: 5, edge: [state.edge[0]!, new Uint8Array(31)] })).toThrow(invalid);
    expect(() => MerkleAccumulator.fromState({ size: -1, edge: [] })).toThrow(invalid);
    expect(() => MerkleAccumulator.fromBytes(new Uint8Array(7))).toThrow(invalid);
    expect(() => MerkleAccumulator.fromBytes(new Uint8Array(8 + 33))).toThrow(invalid);
  });

  it('rejects a leaf hash that is not 32 bytes', () => {
    expect(() => new MerkleAccumulator().append(new Uint8Array(16))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});
