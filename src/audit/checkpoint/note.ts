import { AosError } from '../../errors.js';
import {
  decodeBase64,
  formatKeyId,
  isValidKeyName,
  type NoteSigner,
  type NoteVerifier,
} from './keys.js';

/** A note whose text was checked against at least one known key. */
export type OpenedNote = {
  /** The note text, including its final newline, without the blank line and signatures. */
  text: string;
  /** Names of the known keys whose signatures verified, in signature order, each once. */
  verifiedBy: string[];
};

/** Why a note was refused, in `details.reason` of the AosError. */
export type NoteRejection = 'malformed' | 'bad-signature' | 'unverified';

/**
 * The most signatures a note may carry. The spec asks verifiers to accept at least 16; a cap
 * bounds the work an attacker can make us do with one note.
 */
export const MAX_NOTE_SIGNATURES = 100;

const SIGNATURE_PREFIX = '\u2014 ';
const encoder = new TextEncoder();

/**
 * Signs `text` (which must end in a newline) with each signer and returns the signed note.
 *
 * @example
 * const note = signNote('hello\n', [signer]);
 * // 'hello\n\n— example.com/key Ab3…=\n'
 */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkNoteCharacters(text, 'note text');
  if (!text.endsWith('\n')) reject('malformed', 'note text must end in a newline (U+000A)');
  if (signers.length === 0) reject('malformed', 'a note needs at least one signer');
  if (signers.length > MAX_NOTE_SIGNATURES) {
    reject(
      'malformed',
      `a note may carry at most ${MAX_NOTE_SIGNATURES} signatures, got ${signers.length}`,
    );
  }
  const message = encoder.encode(text);
  const lines = signers.map((signer) => {
    if (!isValidKeyName(signer.name)) {
      reject('malformed', `signer name ${JSON.stringify(signer.name)} is not a valid key name`);
    }
    const keyId = Buffer.alloc(4);
    keyId.writeUInt32BE(signer.keyId);
    const signature = Buffer.concat([keyId, signer.sign(message)]).toString('base64');
    return `${SIGNATURE_PREFIX}${signer.name} ${signature}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

/**
 * Checks a signed note against the known keys and returns its text. Signatures from unknown
 * keys (name and key ID not both among `verifiers`) are ignored; a signature from a known key
 * that does not verify rejects the whole note, as does a note no known key signed.
 * Throws AosError INVALID_INPUT with `details.reason` a NoteRejection.
 *
 * @example
 * const { text, verifiedBy } = openNote(fs.readFileSync('note.txt'), [parseVerifierKey(vkey)]);
 */
export function openNote(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
): OpenedNote {
  const known = indexVerifiers(verifiers);
  const noteText = typeof note === 'string' ? note : decodeUtf8(note);
  checkNoteCharacters(noteText, 'note');
  if (!noteText.endsWith('\n')) reject('malformed', 'note does not end in a newline (U+000A)');
  // The signatures start after the last blank line; the text itself may hold blank lines.
  const split = noteText.lastIndexOf('\n\n');
  if (split === -1) {
    reject('malformed', 'note has no blank line separating its text from its signatures');
  }
  const text = noteText.slice(0, split + 1);
  const signatureBlock = noteText.slice(split + 2);
  if (signatureBlock === '') reject('malformed', 'note has no signature lines after its blank line');
  const lines = signatureBlock.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) {
    reject(
      'malformed',
      `note has ${lines.length} signature lines; at most ${MAX_NOTE_SIGNATURES} are accepted`,
    );
  }

  const message = encoder.encode(text);
  const verified = new Set<NoteVerifier>();
  lines.forEach((line, index) => {
    const signature = parseSignatureLine(line, index + 1);
    const verifier = known.get(verifierKey(signature.name, signature.keyId));
    if (verifier === undefined) return;
    if (!verifier.verify(message, signature.bytes)) {
      reject(
        'bad-signature',
        `signature line ${index + 1} from known key ${signature.name}+${formatKeyId(signature.keyId)} does not verify; the note was altered or signed with another key`,
        { key: signature.name, keyId: formatKeyId(signature.keyId) },
      );
    }
    verified.add(verifier);
  });
  if (verified.size === 0) {
    reject(
      'unverified',
      `no signature on the note is from a known key (known: ${describeKeys(verifiers)}); add the signer's verifier key or check the note's origin`,
    );
  }
  return { text, verifiedBy: [...new Set([...verified].map((verifier) => verifier.name))] };
}

function parseSignatureLine(
  line: string,
  lineNumber: number,
): { name: string; keyId: number; bytes: Uint8Array } {
  const where = `signature line ${lineNumber}`;
  if (!line.startsWith(SIGNATURE_PREFIX)) {
    reject('malformed', `${where} must start with an em dash (U+2014) and a space`);
  }
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space === -1) reject('malformed', `${where} must be "— <key name> <base64 signature>"`);
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) {
    reject(
      'malformed',
      `${where} has key name ${JSON.stringify(name)}, which is empty or holds a space or '+'`,
    );
  }
  const bytes = decodeBase64(rest.slice(space + 1));
  if (bytes === undefined || bytes.length < 5) {
    reject(
      'malformed',
      `${where} (key ${name}) must end in the base64 of a 4-byte key ID and a signature`,
    );
  }
  const keyId = Buffer.from(bytes.buffer, bytes.byteOffset, 4).readUInt32BE(0);
  return { name, keyId, bytes: bytes.subarray(4) };
}

function indexVerifiers(verifiers: readonly NoteVerifier[]): Map<string, NoteVerifier> {
  const known = new Map<string, NoteVerifier>();
  for (const verifier of verifiers) {
    const key = verifierKey(verifier.name, verifier.keyId);
    if (known.has(key)) {
      // Two keys with one name and ID cannot be told apart by a signature line.
      reject(
        'malformed',
        `two verifiers share the key ${verifierKey(verifier.name, verifier.keyId)}; pass each key once`,
      );
    }
    known.set(key, verifier);
  }
  return known;
}

function verifierKey(name: string, keyId: number): string {
  return `${name}+${formatKeyId(keyId)}`;
}

function describeKeys(verifiers: readonly NoteVerifier[]): string {
  if (verifiers.length === 0) return 'none';
  return verifiers.map((verifier) => verifierKey(verifier.name, verifier.keyId)).join(', ');
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    // ignoreBOM keeps a leading BOM in the text, so the signed bytes are exactly the bytes read.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return reject('malformed', 'note is not valid UTF-8');
  }
}

/** Signed notes must be valid UTF-8 without ASCII control characters other than newline. */
function checkNoteCharacters(text: string, what: string): void {
  if (!text.isWellFormed()) {
    reject('malformed', `${what} is not valid UTF-8 (it holds a lone surrogate)`);
  }
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 && code !== 0x0a) {
      reject(
        'malformed',
        `${what} holds control character U+${code.toString(16).padStart(4, '0').toUpperCase()} at offset ${index}; only newline is allowed`,
      );
    }
  }
}

function reject(
  reason: NoteRejection,
  message: string,
  details: Record<string, unknown> = {},
): never {
  throw new AosError('INVALID_INPUT', message, { reason, ...details });
}
