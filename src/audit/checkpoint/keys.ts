import crypto from 'node:crypto';
import { AosError } from '../../errors.js';

/** Signs note text under a C2SP key name and key ID. */
export interface NoteSigner {
  readonly name: string;
  /** The uint32 key ID that prefixes every signature. */
  readonly keyId: number;
  /** The raw 32-byte Ed25519 public key, from which the verifier key text is derived. */
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** Checks signatures made by one known key. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** The signature type byte C2SP signed-note assigns to Ed25519. */
const ED25519_TYPE = 0x01;
const SIGNER_KEY_PREFIX = 'PRIVATE+KEY+';
// DER headers that wrap a raw 32-byte Ed25519 key as PKCS#8 and SPKI (RFC 8410).
const PKCS8_ED25519_HEADER = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_HEADER = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * True when `name` may be a note key name: non-empty, without Unicode spaces or '+'.
 *
 * @example
 * isValidKeyName('example.com/log'); // true
 * isValidKeyName('two words'); // false
 */
export function isValidKeyName(name: string): boolean {
  // \s misses U+0085 (NEXT LINE), which Unicode counts as a space; control characters would
  // be refused by the note anyway, so they are refused here first.
  return name.length > 0 && !/[\s\u0085+]/u.test(name) && ![...name].some((char) => char < ' ');
}

/**
 * The Ed25519 key ID: the first four bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || publicKey).
 *
 * @example
 * formatKeyId(keyIdFor('example.com/foo', publicKey)); // '530d903a' for the C2SP example key
 */
export function keyIdFor(name: string, publicKey: Uint8Array): number {
  const digest = crypto
    .createHash('sha256')
    .update(name, 'utf8')
    .update(Uint8Array.of(0x0a, ED25519_TYPE))
    .update(publicKey)
    .digest();
  return digest.readUInt32BE(0);
}

/**
 * The key ID as the eight lowercase hex digits used in key texts.
 *
 * @example
 * formatKeyId(0x530d903a); // '530d903a'
 */
export function formatKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

/**
 * Decodes standard padded base64, refusing anything that does not re-encode to the same text
 * (Buffer.from accepts junk and stray bits, which would let two texts mean one key or signature).
 *
 * @example
 * decodeBase64('AQID'); // Uint8Array [1, 2, 3]
 * decodeBase64('AQI'); // undefined
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : undefined;
}

/**
 * Makes a new Ed25519 note key, as the signer key text (secret) and verifier key text (public).
 *
 * @example
 * const { signerKey, verifierKey } = generateNoteKey('aosiq.example/audit');
 * // signerKey: 'PRIVATE+KEY+aosiq.example/audit+1a2b3c4d+AX…', verifierKey: 'aosiq.example/audit+1a2b3c4d+AX…'
 */
export function generateNoteKey(name: string): { signerKey: string; verifierKey: string } {
  assertKeyName(name);
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const seed = rawKey(privateKey.export({ format: 'der', type: 'pkcs8' }), PKCS8_ED25519_HEADER);
  const raw = rawKey(publicKey.export({ format: 'der', type: 'spki' }), SPKI_ED25519_HEADER);
  const keyId = formatKeyId(keyIdFor(name, raw));
  return {
    signerKey: `${SIGNER_KEY_PREFIX}${name}+${keyId}+${typedKey(seed)}`,
    verifierKey: formatVerifierKey(name, raw),
  };
}

/**
 * The verifier key text `<name>+<hex key ID>+<base64(0x01 || public key)>` for a public key.
 *
 * @example
 * formatVerifierKey(signer.name, signer.publicKey); // 'aosiq.example/audit+1a2b3c4d+AX…'
 */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  assertKeyName(name);
  return `${name}+${formatKeyId(keyIdFor(name, publicKey))}+${typedKey(publicKey)}`;
}

/**
 * Reads a verifier key text, checking that its key ID matches its name and public key.
 *
 * @example
 * const verifier = parseVerifierKey('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k');
 */
export function parseVerifierKey(text: string): NoteVerifier {
  const { name, keyId, key } = splitKeyText(text, 'verifier key', text);
  const publicKey = crypto.createPublicKey({
    key: Buffer.concat([SPKI_ED25519_HEADER, key]),
    format: 'der',
    type: 'spki',
  });
  checkKeyId(name, keyId, key, `verifier key "${text}"`);
  return {
    name,
    keyId,
    verify: (message, signature) =>
      signature.length === 64 && crypto.verify(null, message, publicKey, signature),
  };
}

/**
 * Reads a signer key text `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`. Messages
 * never echo the text, since it holds the secret.
 *
 * @example
 * const signer = parseSignerKey(fs.readFileSync(file, 'utf8').trimEnd());
 */
export function parseSignerKey(text: string): NoteSigner {
  if (!text.startsWith(SIGNER_KEY_PREFIX)) {
    throw new AosError('INVALID_INPUT', `signer key does not start with "${SIGNER_KEY_PREFIX}"`);
  }
  const { name, keyId, key } = splitKeyText(text.slice(SIGNER_KEY_PREFIX.length), 'signer key', '');
  const privateKey = crypto.createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_HEADER, key]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = rawKey(
    crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' }),
    SPKI_ED25519_HEADER,
  );
  checkKeyId(name, keyId, publicKey, `signer key for "${name}"`);
  return {
    name,
    keyId,
    publicKey,
    sign: (message) => new Uint8Array(crypto.sign(null, message, privateKey)),
  };
}

function assertKeyName(name: string): void {
  if (!isValidKeyName(name)) {
    throw new AosError(
      'INVALID_INPUT',
      `key name ${JSON.stringify(name)} is invalid: it must be non-empty, without spaces or '+'; use a schema-less URL such as example.com/log`,
      { name },
    );
  }
}

/** Splits `<name>+<hex8>+<base64>`; `shown` is what an error may quote (empty for secrets). */
function splitKeyText(
  text: string,
  what: string,
  shown: string,
): { name: string; keyId: number; key: Uint8Array } {
  const quoted = shown === '' ? '' : ` "${shown}"`;
  // Split at the first two '+' only: the base64 key may itself hold '+'.
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  if (first === -1 || second === -1) {
    throw new AosError(
      'INVALID_INPUT',
      `${what}${quoted} must have three '+'-separated parts: <name>+<8 hex digits>+<base64 key>`,
    );
  }
  const name = text.slice(0, first);
  const hex = text.slice(first + 1, second);
  const encoded = text.slice(second + 1);
  assertKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(hex)) {
    throw new AosError(
      'INVALID_INPUT',
      `${what}${quoted} has key ID "${hex}"; it must be 8 lowercase hex digits`,
    );
  }
  const typed = decodeBase64(encoded);
  if (typed === undefined || typed.length !== 33 || typed[0] !== ED25519_TYPE) {
    throw new AosError(
      'INVALID_INPUT',
      `${what}${quoted} must end in the base64 of 0x01 followed by a 32-byte Ed25519 key`,
    );
  }
  return { name, keyId: Number.parseInt(hex, 16), key: typed.subarray(1) };
}

function checkKeyId(name: string, keyId: number, publicKey: Uint8Array, what: string): void {
  const expected = keyIdFor(name, publicKey);
  if (expected !== keyId) {
    throw new AosError(
      'INVALID_INPUT',
      `${what} has key ID ${formatKeyId(keyId)} but its name and public key give ${formatKeyId(expected)}; the key text is corrupt`,
    );
  }
}

function typedKey(key: Uint8Array): string {
  return Buffer.concat([Uint8Array.of(ED25519_TYPE), key]).toString('base64');
}

function rawKey(der: Buffer, header: Buffer): Uint8Array {
  return new Uint8Array(der.subarray(header.length));
}
