import { AosError } from '../../errors.js';
import { decodeBase64, type NoteSigner, type NoteVerifier } from './keys.js';
import { openNote, signNote } from './note.js';

/** A Merkle tree head of the audit log, the body of a C2SP tlog checkpoint. */
export type Checkpoint = {
  /** Names the log; the signing key's name should be the same. */
  origin: string;
  /** Number of leaves in the tree. */
  size: number;
  /** RFC 6962 root hash, 32 bytes. */
  rootHash: Uint8Array;
  /** Opaque non-empty lines after the root hash; the spec advises against them. */
  extensions?: string[];
};

/** A checkpoint whose note was verified, with the names of the keys that signed it. */
export type OpenedCheckpoint = { checkpoint: Checkpoint; verifiedBy: string[] };

const ROOT_HASH_BYTES = 32;

/**
 * Renders the checkpoint note text: origin, tree size, base64 root hash, extension lines,
 * each ending in a newline.
 *
 * @example
 * formatCheckpoint({ origin: 'aosiq.example/audit', size: 3, rootHash });
 * // 'aosiq.example/audit\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n'
 */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  checkLine(origin, 'origin');
  if (!Number.isSafeInteger(size) || size < 0) {
    invalid(`checkpoint size must be a non-negative safe integer, got ${String(size)}`);
  }
  if (rootHash.length !== ROOT_HASH_BYTES) {
    invalid(`checkpoint root hash must be ${ROOT_HASH_BYTES} bytes, got ${rootHash.length}`);
  }
  extensions.forEach((line, index) => checkLine(line, `extension line ${index + 1}`));
  const lines = [origin, String(size), Buffer.from(rootHash).toString('base64'), ...extensions];
  return lines.map((line) => `${line}\n`).join('');
}

/**
 * Reads checkpoint note text strictly: at least three non-empty lines, a decimal size without
 * leading zeros, and a base64 root hash of exactly 32 bytes.
 *
 * @example
 * const { origin, size, rootHash } = parseCheckpoint(openNote(note, verifiers).text);
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) invalid('checkpoint text must end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) {
    invalid(`checkpoint text has ${lines.length} line(s); it needs origin, tree size and root hash`);
  }
  const [origin, sizeText, hashText, ...extensions] = lines as [string, string, string, ...string[]];
  checkLine(origin, 'origin');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) {
    invalid(`checkpoint tree size ${JSON.stringify(sizeText)} must be decimal digits without leading zeros`);
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) invalid(`checkpoint tree size ${sizeText} is too large`);
  const rootHash = decodeBase64(hashText);
  if (rootHash === undefined || rootHash.length !== ROOT_HASH_BYTES) {
    invalid(`checkpoint root hash ${JSON.stringify(hashText)} must be the base64 of exactly 32 bytes`);
  }
  extensions.forEach((line, index) => checkLine(line, `extension line ${index + 1}`));
  return { origin, size, rootHash, extensions };
}

/**
 * Formats and signs a checkpoint, returning the signed note.
 *
 * @example
 * const note = signCheckpoint({ origin: signer.name, size, rootHash }, signer);
 */
export function signCheckpoint(checkpoint: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpoint(checkpoint), [signer]);
}

/**
 * Verifies a signed checkpoint note and parses its body. With `origin`, a checkpoint from
 * another log is refused even when a known key signed it.
 *
 * @example
 * const { checkpoint } = openCheckpoint(note, [verifier], { origin: 'aosiq.example/audit' });
 */
export function openCheckpoint(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  options: { origin?: string } = {},
): OpenedCheckpoint {
  const { text, verifiedBy } = openNote(note, verifiers);
  const checkpoint = parseCheckpoint(text);
  if (options.origin !== undefined && checkpoint.origin !== options.origin) {
    invalid(
      `checkpoint origin ${JSON.stringify(checkpoint.origin)} is not the expected ${JSON.stringify(options.origin)}`,
      'wrong-origin',
    );
  }
  return { checkpoint, verifiedBy };
}

function checkLine(line: string, what: string): void {
  if (line === '') invalid(`checkpoint ${what} must not be empty`);
  if (line.includes('\n')) invalid(`checkpoint ${what} must not contain a newline`);
}

function invalid(message: string, reason: 'malformed' | 'wrong-origin' = 'malformed'): never {
  throw new AosError('INVALID_INPUT', message, { reason });
}
