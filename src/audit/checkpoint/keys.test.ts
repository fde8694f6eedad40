import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAosError } from '../../errors.js';
import {
  decodeBase64,
  formatKeyId,
  formatVerifierKey,
  generateNoteKey,
  keyIdFor,
  parseSignerKey,
  parseVerifierKey,
} from './keys.js';

const vectorDir = path.resolve(process.cwd(), '../shared/vectors/signed-note');
const vectorKey = fs.readFileSync(path.join(vectorDir, 'verifier-key.txt'), 'utf8').trim();

function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to throw');
}

function expectInvalid(action: () => unknown, pattern: RegExp): void {
  const error = thrown(action);
  expect(isAosError(error, 'INVALID_INPUT'), String(error)).toBe(true);
  expect(error.message).toMatch(pattern);
}

describe('keyIdFor', () => {
  it('derives the key ID the C2SP vector key text carries', () => {
    const [name, , encoded] = vectorKey.split('+') as [string, string, string];
    const publicKey = decodeBase64(encoded)!.subarray(1);
    expect(formatKeyId(keyIdFor(name, publicKey))).toBe('530d903a');
    expect(vectorKey).toContain('+530d903a+');
  });

  it('depends on the key name', () => {
    const publicKey = new Uint8Array(32).fill(7);
    expect(keyIdFor('a.example/log', publicKey)).not.toBe(keyIdFor('b.example/log', publicKey));
  });
});

describe('generateNoteKey', () => {
  it('writes C2SP key texts whose signer and verifier halves belong together', () => {
    const { signerKey, verifierKey } = generateNoteKey('aosiq.example/audit');
    expect(signerKey).toMatch(/^PRIVATE\+KEY\+aosiq\.example\/audit\+[0-9a-f]{8}\+A[Q-Za-f][A-Za-z0-9+/]{42}$/);
    expect(verifierKey).toMatch(/^aosiq\.example\/audit\+[0-9a-f]{8}\+A[Q-Za-f][A-Za-z0-9+/]{42}$/);
    const signer = parseSignerKey(signerKey);
    const verifier = parseVerifierKey(verifierKey);
    expect(verifier.keyId).toBe(signer.keyId);
    expect(formatVerifierKey(signer.name, signer.publicKey)).toBe(verifierKey);
    const message = new TextEncoder().encode('tree head\n');
    const signature = signer.sign(message);
    expect(verifier.verify(message, signature)).toBe(true);
    expect(verifier.verify(new TextEncoder().encode('tree head!\n'), signature)).toBe(false);
  });

  it('reads back keys whose base64 holds a plus sign', () => {
    // About half of all keys have one; fifty tries make a miss vanishingly unlikely.
    const keys = Array.from({ length: 50 }, () => generateNoteKey('a.example/x'));
    const withPlus = keys.find((key) => key.verifierKey.split('+').length > 3)!;
    expect(withPlus).toBeDefined();
    expect(parseSignerKey(withPlus.signerKey).keyId).toBe(parseVerifierKey(withPlus.verifierKey).keyId);
  });

  it('makes a different key each time', () => {
    expect(generateNoteKey('a.example/x').verifierKey).not.toBe(generateNoteKey('a.example/x').verifierKey);
  });

  it.each(['', 'two words', 'a+b', 'no\u00a0break', 'tab\there', 'next\u0085line'])(
    'refuses the key name %j',
    (name) => expectInvalid(() => generateNoteKey(name), /key name .* is invalid/),
  );
});

describe('parseVerifierKey', () => {
  it('accepts the C2SP vector key', () => {
    const verifier = parseVerifierKey(vectorKey);
    expect(verifier.name).toBe('example.com/foo');
    expect(verifier.keyId).toBe(0x530d903a);
  });

  it.each([
    ['a missing part', 'example.com/foo+530d903a', /three '\+'-separated parts/],
    ['an uppercase key ID', vectorKey.replace('530d903a', '530D903A'), /8 lowercase hex digits/],
    ['a short key ID', vectorKey.replace('530d903a', '530d903'), /8 lowercase hex digits/],
    ['a key ID that does not match', vectorKey.replace('530d903a', '530d903b'), /give 530d903a; the key text is corrupt/],
    ['another name for the key', vectorKey.replace('example.com/foo', 'example.com/bar'), /key text is corrupt/],
    ['a signature type other than Ed25519', vectorKey.replace('+Aeky', '+Aky'), /0x01 followed by a 32-byte/],
    ['non-canonical base64', `${vectorKey}=`, /0x01 followed by a 32-byte/],
    ['a name with a space', `example .com/foo+${vectorKey.split('+').slice(1).join('+')}`, /key name/],
  ])('refuses %s', (_case, text, pattern) => expectInvalid(() => parseVerifierKey(text), pattern));
});

describe('parseSignerKey', () => {
  it('refuses a verifier key in its place', () => {
    expectInvalid(() => parseSignerKey(vectorKey), /does not start with "PRIVATE\+KEY\+"/);
  });

  it('never quotes the secret in its errors', () => {
    const { signerKey } = generateNoteKey('aosiq.example/audit');
    // The key material is everything after the key ID: base64 may itself hold "+", so its last piece can be empty.
    const secret = signerKey.split('+').slice(4).join('+');
    expect(secret.length).toBeGreaterThan(40);
    const corrupt = signerKey.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
    const error = thrown(() => parseSignerKey(corrupt));
    expect(error.message).toMatch(/key text is corrupt/);
    expect(error.message).not.toContain(secret);
    const malformed = thrown(() => parseSignerKey(`${signerKey}=`));
    expect(malformed.message).toMatch(/must end in the base64 of 0x01/);
    expect(malformed.message).not.toContain(secret);
  });
});

describe('decodeBase64', () => {
  it('decodes canonical padded base64', () => {
    expect(decodeBase64('AQID')).toEqual(Uint8Array.of(1, 2, 3));
    expect(decodeBase64('AQI=')).toEqual(Uint8Array.of(1, 2));
    expect(decodeBase64('')).toEqual(new Uint8Array());
  });

  it.each(['AQI', 'AQJ=', 'AQ ID', 'AQ-D', 'A===', 'AQID\n'])('refuses %j', (text) => {
    expect(decodeBase64(text)).toBeUndefined();
  });
});
