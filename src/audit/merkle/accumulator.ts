import { AosError } from '../../errors.js';
import { HASH_SIZE, nodeHash, type RawHash, rawNodeHash } from './hash.js';
import { decomposeRange, foldNodes, type NodeAddress, requireCount, requireHash } from './tree.js';

/**
 * What a writer persists to resume appending: the tree size and the hashes of the perfect
 * subtrees on its right edge, largest first (the nodes of decomposeRange(0, size)).
 */
export interface AccumulatorState {
  readonly size: number;
  readonly edge: readonly Uint8Array[];
}

/** A perfect subtree that became complete during an append, ready to be stored. */
export interface CompletedNode extends NodeAddress {
  readonly hash: Uint8Array;
}

// 8-byte big-endian size, then the edge hashes: a fixed layout a database column can hold.
const SIZE_BYTES = 8;

/**
 * The log's Merkle tree as a compact range: appends leaf hashes one at a time and gives the
 * RFC 6962 root of the current size, holding only one hash per set bit of the size.
 *
 * @example
 * const tree = new MerkleAccumulator();
 * for (const entry of entries) tree.append(leafHash(entry));
 * const root = tree.root();
 */
export class MerkleAccumulator {
  #size = 0;
  readonly #edge: Uint8Array[] = [];

  /**
   * Resumes from a saved state, checking that the edge has one hash per set bit of the size.
   *
   * @example
   * const tree = MerkleAccumulator.fromState({ size: 5, edge: [fourLeafNode, leaf4] });
   */
  static fromState(state: AccumulatorState): MerkleAccumulator {
    requireCount('state.size', state.size, 0);
    const expected = decomposeRange(0, state.size).length;
    if (state.edge.length !== expected) {
      throw new AosError(
        'INVALID_INPUT',
        `state.edge must hold ${expected} hashes for size ${state.size}, got ${state.edge.length}; save the state with toState()`,
        { size: state.size, edgeLength: state.edge.length },
      );
    }
    state.edge.forEach((hash, i) => requireHash(`state.edge[${i}]`, hash));
    const tree = new MerkleAccumulator();
    tree.#size = state.size;
    tree.#edge.push(...state.edge.map((hash) => Uint8Array.from(hash)));
    return tree;
  }

  /**
   * Resumes from the bytes toBytes() wrote.
   *
   * @example
   * const tree = MerkleAccumulator.fromBytes(row.merkle_state);
   */
  static fromBytes(bytes: Uint8Array): MerkleAccumulator {
    if (bytes.length < SIZE_BYTES || (bytes.length - SIZE_BYTES) % HASH_SIZE !== 0) {
      throw new AosError(
        'INVALID_INPUT',
        `accumulator state must be ${SIZE_BYTES} size bytes plus whole ${HASH_SIZE}-byte hashes, got ${bytes.length} bytes; save it with toBytes()`,
        { length: bytes.length },
      );
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const size = Number(view.getBigUint64(0));
    const edge: Uint8Array[] = [];
    for (let offset = SIZE_BYTES; offset < bytes.length; offset += HASH_SIZE) {
      edge.push(bytes.subarray(offset, offset + HASH_SIZE));
    }
    return MerkleAccumulator.fromState({ size, edge });
  }

  /** How many leaves have been appended. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends one leaf hash and returns the perfect subtrees it completed, smallest first: the
   * leaf itself at level 0, then each parent it closed. Storing these is what lets proofs be
   * served later without rereading leaves.
   *
   * @example
   * for (const node of tree.append(leafHash(entry))) await store.putNode(node);
   */
  append(leafHash: Uint8Array): CompletedNode[] {
    requireHash('leafHash', leafHash);
    const position = this.#size;
    let hash: Uint8Array = Uint8Array.from(leafHash);
    const completed: CompletedNode[] = [{ level: 0, index: position, hash }];
    // Each trailing set bit of the old size is a same-sized subtree waiting for a right sibling.
    let width = 1;
    for (let rest = position; rest % 2 === 1; rest = (rest - 1) / 2) {
      hash = nodeHash(this.#edge.pop()!, hash);
      width *= 2;
      completed.push({ level: completed.length, index: Math.floor(position / width), hash });
    }
    this.#edge.push(hash);
    this.#size = position + 1;
    return completed;
  }

  /**
   * The RFC 6962 root of the leaves appended so far (SHA-256("") when there are none).
   *
   * @example
   * const signedRoot = tree.root();
   */
  root(): Uint8Array {
    return foldNodes(this.#edge);
  }

  /**
   * A copy of the state to persist; fromState() resumes from it.
   *
   * @example
   * await store.saveEdge(tree.toState());
   */
  toState(): AccumulatorState {
    return { size: this.#size, edge: this.#edge.map((hash) => Uint8Array.from(hash)) };
  }

  /**
   * The state as bytes: 8-byte big-endian size, then the edge hashes largest first.
   *
   * @example
   * await sql`update log set merkle_state = ${tree.toBytes()}`;
   */
  toBytes(): Uint8Array {
    const bytes = new Uint8Array(SIZE_BYTES + this.#edge.length * HASH_SIZE);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(this.#size));
    this.#edge.forEach((hash, i) => bytes.set(hash, SIZE_BYTES + i * HASH_SIZE));
    return bytes;
  }
}

/**
 * The RFC 6962 Merkle tree hash of a list of leaf hashes, in one pass with O(log n) memory
 * (n - 1 node hashes, as many as the tree has interior nodes).
 *
 * @example
 * const root = rootFromLeafHashes(entries.map(leafHash));
 */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  const edge: Uint8Array[] = [];
  for (let position = 0; position < leafHashes.length; position++) {
    const hash = leafHashes[position]!;
    if (hash.length !== HASH_SIZE) requireHash(`leafHashes[${position}]`, hash);
    extendEdge(edge, position, hash);
  }
  return foldNodes(edge);
}

/**
 * MerkleAccumulator.append without its check, defensive copy and node report, which cost as
 * much as the hashing itself over millions of leaves: adds the 32-byte leaf hash at `position`
 * to `edge`, the right edge of the first `position` leaves (largest subtree first), in place.
 * The caller keeps the count and must not change the hashes it passes afterwards; foldNodes(edge)
 * is the root.
 *
 * @example
 * const edge: Uint8Array[] = [];
 * leaves.forEach((leaf, position) => extendEdge(edge, position, leaf));
 * const root = foldNodes(edge);
 */
export function extendEdge(edge: Uint8Array[], position: number, leafHash: Uint8Array): void {
  let hash = leafHash;
  // Each trailing set bit of the position is a same-sized subtree waiting for a right sibling.
  for (let rest = position; rest % 2 === 1; rest = (rest - 1) / 2) hash = nodeHash(edge.pop()!, hash);
  edge.push(hash);
}

/**
 * extendEdge over raw hashes (see RawHash), for a verifier that appends a leaf per event.
 *
 * @example
 * const edge: RawHash[] = [];
 * rawLeaves.forEach((leaf, position) => extendRawEdge(edge, position, leaf));
 * const root = foldNodes(edge.map((raw) => Buffer.from(raw, 'latin1')));
 */
export function extendRawEdge(edge: RawHash[], position: number, leafHash: RawHash): void {
  let hash = leafHash;
  for (let rest = position; rest % 2 === 1; rest = (rest - 1) / 2) hash = rawNodeHash(edge.pop()!, hash);
  edge.push(hash);
}
