import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAosError } from '../../errors.js';
import { generateNoteKey, parseSignerKey, parseVerifierKey } from './keys.js';
import { MAX_NOTE_SIGNATURES, openNote, signNote } from './note.js';

const vectorDir = path.resolve(process.cwd(), '../shared/vectors/signed-note');
const vectorNote = fs.readFileSync(path.join(vectorDir, 'note.txt'), 'utf8');
const vectorVerifier = parseVerifierKey(
  fs.readFileSync(path.join(vectorDir, 'verifier-key.txt'), 'utf8').trim(),
);

function newKey(name: string) {
  const { signerKey, verifierKey } = generateNoteKey(name);
  return { signer: parseSignerKey(signerKey), verifier: parseVerifierKey(verifierKey) };
}

function expectRejected(action: () => unknown, reason: string, pattern: RegExp): void {
  let error: unknown;
  try {
    action();
  } catch (caught) {
    error = caught;
  }
  expect(isAosError(error, 'INVALID_INPUT'), String(error)).toBe(true);
  const { details, message } = error as { details: { reason: string }; message: string };
  expect(message).toMatch(pattern);
  expect(details.reason).toBe(reason);
}

/** The vector note with its one signature's bytes (after the key ID) altered at `index`. */
function withSignatureByteFlipped(note: string, index: number): string {
  const [text, line] = note.split('\n\n') as [string, string];
  const [dash, name, encoded] = line.trimEnd().split(' ') as [string, string, string];
  const bytes = Buffer.from(encoded, 'base64');
  bytes[4 + index]! ^= 0x01;
  return `${text}\n\n${dash} ${name} ${bytes.toString('base64')}\n`;
}

describe('openNote with the C2SP vector', () => {
  it('verifies the example note with its verifier key', () => {
    expect(openNote(vectorNote, [vectorVerifier])).toEqual({
      text: 'This is an example message.\n',
      verifiedBy: ['example.com/foo'],
    });
  });

  it('verifies the same note given as bytes', () => {
    const bytes = fs.readFileSync(path.join(vectorDir, 'note.txt'));
    expect(openNote(bytes, [vectorVerifier]).text).toBe('This is an example message.\n');
  });

  it('rejects the note when one byte of its text changes', () => {
    const altered = vectorNote.replace('example message', 'exbmple message');
    expectRejected(() => openNote(altered, [vectorVerifier]), 'bad-signature', /line 1 from known key example\.com\/foo\+530d903a does not verify/);
  });

  it('rejects the note when one byte of its signature changes', () => {
    for (const index of [0, 31, 63]) {
      expectRejected(() => openNote(withSignatureByteFlipped(vectorNote, index), [vectorVerifier]), 'bad-signature', /does not verify/);
    }
  });

  it('ignores an extra signature from an unknown key', () => {
    const { signer } = newKey('other.example/witness');
    const [extra] = signNote('This is an example message.\n', [signer]).split('\n\n').slice(1);
    const note = `${vectorNote}${extra}`;
    expect(openNote(note, [vectorVerifier]).verifiedBy).toEqual(['example.com/foo']);
  });

  it('ignores a key that shares only the name with a known key', () => {
    const impostor = newKey('example.com/foo');
    const [extra] = signNote('This is an example message.\n', [impostor.signer]).split('\n\n').slice(1);
    expect(openNote(`${vectorNote}${extra}`, [vectorVerifier]).verifiedBy).toEqual(['example.com/foo']);
    expectRejected(() => openNote(`This is an example message.\n\n${extra}`, [vectorVerifier]), 'unverified', /no signature on the note is from a known key \(known: example\.com\/foo\+530d903a\)/);
  });

  it('rejects a note signed only by unknown keys', () => {
    expectRejected(() => openNote(vectorNote, [newKey('example.com/bar').verifier]), 'unverified', /no signature on the note is from a known key/);
    expectRejected(() => openNote(vectorNote, []), 'unverified', /known: none/);
  });
});

describe('signNote and openNote', () => {
  it('round-trip a text with blank lines and several signers', () => {
    const log = newKey('aosiq.example/audit');
    const witness = newKey('witness.example/w1');
    const text = 'first\n\nthird after a blank line\n\n';
    const note = signNote(text, [log.signer, witness.signer]);
    expect(note.startsWith(`${text}\n\u2014 aosiq.example/audit `)).toBe(true);
    expect(openNote(note, [witness.verifier, log.verifier])).toEqual({
      text,
      verifiedBy: ['aosiq.example/audit', 'witness.example/w1'],
    });
    expect(openNote(note, [witness.verifier]).verifiedBy).toEqual(['witness.example/w1']);
  });

  it('accepts up to the signature limit, more than the 16 the spec requires', () => {
    const log = newKey('aosiq.example/audit');
    const others = Array.from({ length: MAX_NOTE_SIGNATURES - 1 }, () => newKey('other.example/k').signer);
    const note = signNote('body\n', [...others, log.signer]);
    expect(openNote(note, [log.verifier]).verifiedBy).toEqual(['aosiq.example/audit']);
  });

  it.each([
    ['text without a final newline', 'hello', /must end in a newline/],
    ['a carriage return', 'hello\r\n', /control character U\+000D at offset 5/],
    ['a lone surrogate', 'hello \ud800\n', /not valid UTF-8/],
  ])('refuses to sign %s', (_case, text, pattern) => {
    expectRejected(() => signNote(text, [newKey('a.example/k').signer]), 'malformed', pattern);
  });

  it('refuses to sign with no signer', () => {
    expectRejected(() => signNote('hello\n', []), 'malformed', /at least one signer/);
  });

  it('refuses two verifiers with the same name and key ID', () => {
    expectRejected(() => openNote(vectorNote, [vectorVerifier, vectorVerifier]), 'malformed', /two verifiers share the key example\.com\/foo\+530d903a/);
  });
});

describe('openNote refuses malformed notes', () => {
  const signatureLine = vectorNote.split('\n\n')[1]!;
  const signature = signatureLine.trimEnd().split(' ')[2]!;
  const unknownLine = (index: number) => `\u2014 other.example/k${index} ${signature}\n`;

  it.each([
    ['a missing final newline', vectorNote.slice(0, -1), /does not end in a newline/],
    ['no blank line before the signatures', vectorNote.replace('\n\n', '\n'), /no blank line separating/],
    ['no signature lines', 'This is an example message.\n\n', /no signature lines/],
    ['a hyphen instead of an em dash', vectorNote.replace('\u2014', '-'), /line 1 must start with an em dash/],
    ['an en dash instead of an em dash', vectorNote.replace('\u2014', '\u2013'), /must start with an em dash/],
    ['no space after the key name', vectorNote.replace('example.com/foo ', 'example.com/foo'), /line 1 must be "— <key name> <base64 signature>"/],
    ['a key name with a plus', vectorNote.replace('example.com/foo', 'example.com+foo'), /key name "example.com\+foo"/],
    ['an empty key name', vectorNote.replace('\u2014 example.com/foo', '\u2014 '), /key name ""/],
    ['a signature that is not base64', vectorNote.replace(signature, `${signature.slice(0, -4)}!!!=`), /base64 of a 4-byte key ID and a signature/],
    ['base64 with a trailing space', vectorNote.replace(signature, `${signature} `), /base64 of a 4-byte key ID/],
    ['a signature of only a key ID', vectorNote.replace(signature, 'Uw2QOg=='), /base64 of a 4-byte key ID and a signature/],
    ['a tab in the text', vectorNote.replace('This is', 'This\tis'), /control character U\+0009/],
    ['a NUL after the signature', `${vectorNote}\u0000`, /control character U\+0000/],
    ['a lone surrogate', vectorNote.replace('This', 'Th\udc00is'), /not valid UTF-8/],
    ['a second signature line that is blank-free garbage', `${vectorNote}garbage\n`, /line 2 must start with an em dash/],
  ])('with %s', (_case, note, pattern) => {
    expectRejected(() => openNote(note, [vectorVerifier]), 'malformed', pattern);
  });

  it('with bytes that are not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(vectorNote)]);
    expectRejected(() => openNote(bytes, [vectorVerifier]), 'malformed', /note is not valid UTF-8/);
  });

  it('with more signature lines than the limit, before any is checked', () => {
    const lines = Array.from({ length: MAX_NOTE_SIGNATURES }, (_, index) => unknownLine(index)).join('');
    expectRejected(() => openNote(`${vectorNote}${lines}`, [vectorVerifier]), 'malformed', new RegExp(`has ${MAX_NOTE_SIGNATURES + 1} signature lines; at most ${MAX_NOTE_SIGNATURES}`));
  });
});
