import { hash } from 'node:crypto';

/** Bytes in a SHA-256 digest, the size of every leaf, node and root hash. */
export const HASH_SIZE = 32;

// Scratch buffers for hashing hashes: crypto.hash over a single buffer is about twice as fast
// as a createHash stream, and a root over millions of leaves is n - 1 node hashes (a log of
// events chained by hash has a leaf hash per event too). Hashing is synchronous, so a buffer is
// never shared between two calls in flight.
const nodeInput = new Uint8Array(1 + 2 * HASH_SIZE);
nodeInput[0] = 0x01;
const hashLeafInput = new Uint8Array(1 + HASH_SIZE); // [0] is the 0x00 prefix

// A plain Uint8Array, so callers comparing with toEqual or instanceof are not surprised by Buffer.
// It is copied out of the 'binary' (latin1) digest, one character per byte: Node 20 gives a 'buffer' digest
// an ArrayBuffer of its own, and that plus a Uint8Array view over it cost twice the hashing.
function sha256(data: Uint8Array): Uint8Array {
  const digest = hash('sha256', data, 'binary');
  const bytes = new Uint8Array(HASH_SIZE);
  for (let i = 0; i < HASH_SIZE; i++) bytes[i] = digest.charCodeAt(i);
  return bytes;
}

/**
 * A SHA-256 digest as a string of 32 characters, one per byte (what crypto.hash writes for the
 * 'binary', that is latin1, encoding). A verifier hashing a leaf and a node per event keeps its
 * hashes this way: making a Uint8Array per hash costs a third as much as the hashing.
 */
export type RawHash = string;

// Copies a raw hash into `target` at `offset`; a loop of charCodeAt beats Buffer#write here.
function putRaw(target: Uint8Array, offset: number, raw: RawHash): void {
  for (let i = 0; i < HASH_SIZE; i++) target[offset + i] = raw.charCodeAt(i);
}

/**
 * leafHash of a 32-byte entry given as a raw hash (an audit event's chain hash), as a raw hash.
 *
 * @example
 * const leaf = rawLeafHash(hash('sha256', eventBytes, 'binary'));
 */
export function rawLeafHash(entry: RawHash): RawHash {
  putRaw(hashLeafInput, 1, entry);
  return hash('sha256', hashLeafInput, 'binary');
}

/**
 * nodeHash of two raw hashes, as a raw hash.
 *
 * @example
 * const parent = rawNodeHash(rawLeafHash(a), rawLeafHash(b));
 */
export function rawNodeHash(left: RawHash, right: RawHash): RawHash {
  putRaw(nodeInput, 1, left);
  putRaw(nodeInput, 1 + HASH_SIZE, right);
  return hash('sha256', nodeInput, 'binary');
}

/**
 * The RFC 6962 hash of one log entry: SHA-256(0x00 || data). The prefix keeps a leaf from
 * ever being mistaken for an interior node.
 *
 * @example
 * const hash = leafHash(new TextEncoder().encode('{"type":"grant"}'));
 */
export function leafHash(data: Uint8Array): Uint8Array {
  if (data.length === HASH_SIZE) {
    hashLeafInput.set(data, 1);
    return sha256(hashLeafInput);
  }
  const input = new Uint8Array(1 + data.length); // input[0] is already the 0x00 prefix
  input.set(data, 1);
  return sha256(input);
}

/**
 * The RFC 6962 hash of an interior node: SHA-256(0x01 || left || right).
 *
 * @example
 * const parent = nodeHash(leafHash(a), leafHash(b));
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  // Verifiers pass untrusted proof entries of any length; those are hashed exactly as given.
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    return sha256(new Uint8Array([0x01, ...left, ...right]));
  }
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return sha256(nodeInput);
}

/**
 * The root of the tree with no leaves: SHA-256 of the empty string (e3b0c442...b855).
 *
 * @example
 * const root = emptyRoot();
 */
export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array());
}

/** Byte equality; hashes here are public, so no constant-time comparison is needed. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
