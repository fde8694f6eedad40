import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MerkleAccumulator, rootFromLeafHashes } from './accumulator.js';
import { emptyRoot, leafHash, nodeHash, rawLeafHash, rawNodeHash } from './hash.js';
import { decomposeRange, foldNodes, nodeReaderFromLeafHashes, rootFromNodes } from './tree.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

// The eight standard leaf inputs of transparency-dev/merkle (testonly/constants.go).
const standardLeaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(
  (text) => leafHash(fromHex(text)),
);

describe('RFC 6962 hashing', () => {
  it('prefixes leaves with 0x00 and nodes with 0x01', () => {
    expect(hex(leafHash(new Uint8Array()))).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(hex(leafHash(fromHex('00')))).toBe(sha256(fromHex('0000')));
    const left = standardLeaves[1]!;
    const right = standardLeaves[2]!;
    expect(hex(nodeHash(left, right))).toBe(sha256(new Uint8Array([0x01, ...left, ...right])));
    expect(hex(nodeHash(left, right))).not.toBe(hex(nodeHash(right, left)));
    // Proof entries from outside may be any length and must be hashed as given.
    expect(hex(nodeHash(fromHex('ab'), right))).toBe(sha256(new Uint8Array([0x01, 0xab, ...right])));
    expect(hex(nodeHash(left, new Uint8Array()))).toBe(sha256(new Uint8Array([0x01, ...left])));
  });

  it('hashes raw (latin1 string) hashes as leafHash and nodeHash hash their bytes', () => {
    const raw = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
    // Digests of the standard leaves, and ones holding 0x00 and 0xff, which a loose copy would mangle.
    const hashes = [...standardLeaves, new Uint8Array(32), new Uint8Array(32).fill(0xff)];
    for (const left of hashes) {
      expect(rawLeafHash(raw(left))).toBe(raw(leafHash(left)));
      for (const right of hashes) expect(rawNodeHash(raw(left), raw(right))).toBe(raw(nodeHash(left, right)));
    }
  });

  it('returns plain Uint8Array values, not Buffers', () => {
    expect(Object.getPrototypeOf(leafHash(new Uint8Array()))).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(nodeHash(standardLeaves[0]!, standardLeaves[1]!))).toBe(Uint8Array.prototype);
  });
});

describe('tree roots', () => {
  it('gives SHA-256 of nothing for the empty tree', () => {
    const expected = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect(hex(emptyRoot())).toBe(expected);
    expect(hex(rootFromLeafHashes([]))).toBe(expected);
    expect(hex(new MerkleAccumulator().root())).toBe(expected);
  });

  it('gives the known root over the eight standard leaves', () => {
    const expected = '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328';
    expect(hex(rootFromLeafHashes(standardLeaves))).toBe(expected);
    expect(hex(rootFromNodes(8, nodeReaderFromLeafHashes(standardLeaves)))).toBe(expected);
  });

  it('is the leaf hash itself for a single leaf', () => {
    expect(hex(rootFromLeafHashes([standardLeaves[3]!]))).toBe(hex(standardLeaves[3]!));
  });

  it('splits at the largest power of two below n (n = 5: four leaves left, one right)', () => {
    const [a, b, c, d, e] = standardLeaves as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const expected = nodeHash(nodeHash(nodeHash(a, b), nodeHash(c, d)), e);
    expect(hex(rootFromLeafHashes([a, b, c, d, e]))).toBe(hex(expected));
  });

  it('rejects leaf hashes that are not 32 bytes', () => {
    expect(() => rootFromLeafHashes([new Uint8Array(31)])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('decomposeRange and foldNodes', () => {
  it('covers a range with aligned perfect subtrees, largest first on the right edge', () => {
    expect(decomposeRange(0, 13)).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(decomposeRange(3, 9)).toEqual([
      { level: 0, index: 3 },
      { level: 2, index: 1 },
      { level: 0, index: 8 },
    ]);
    expect(decomposeRange(4, 4)).toEqual([]);
  });

  it('rejects a range that ends before it begins', () => {
    expect(() => decomposeRange(5, 4)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('folds nothing into the empty root', () => {
    expect(hex(foldNodes([]))).toBe(hex(emptyRoot()));
  });

  it('refuses to read beyond the leaves it was given', () => {
    const nodeAt = nodeReaderFromLeafHashes(standardLeaves.slice(0, 5));
    expect(() => nodeAt(1, 2)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => rootFromNodes(6, nodeAt)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
