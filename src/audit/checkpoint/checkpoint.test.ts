import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isAosError } from '../../errors.js';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.js';
import { generateNoteKey, parseSignerKey, parseVerifierKey } from './keys.js';
import { signNote } from './note.js';

// The example tree head from the C2SP tlog-checkpoint spec.
const specBody = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const specCheckpoint = {
  origin: 'example.com/behind-the-sofa',
  size: 20852163,
  rootHash: new Uint8Array(Buffer.from('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'base64')),
};
const rootHash = new Uint8Array(createHash('sha256').update('root').digest());

function newKey(name: string) {
  const { signerKey, verifierKey } = generateNoteKey(name);
  return { signer: parseSignerKey(signerKey), verifier: parseVerifierKey(verifierKey) };
}

function expectInvalid(action: () => unknown, pattern: RegExp, reason = 'malformed'): void {
  let error: unknown;
  try {
    action();
  } catch (caught) {
    error = caught;
  }
  expect(isAosError(error, 'INVALID_INPUT'), String(error)).toBe(true);
  expect((error as Error).message).toMatch(pattern);
  expect((error as { details: { reason: string } }).details.reason).toBe(reason);
}

describe('formatCheckpoint and parseCheckpoint', () => {
  it('write the spec example byte for byte and read it back', () => {
    expect(formatCheckpoint(specCheckpoint)).toBe(specBody);
    expect(parseCheckpoint(specBody)).toEqual({ ...specCheckpoint, extensions: [] });
  });

  it('round-trip an empty tree and extension lines', () => {
    const checkpoint = { origin: 'aosiq.example/audit', size: 0, rootHash, extensions: ['ext one', 'two'] };
    const text = formatCheckpoint(checkpoint);
    expect(text.split('\n').slice(1)).toEqual(['0', Buffer.from(rootHash).toString('base64'), 'ext one', 'two', '']);
    expect(parseCheckpoint(text)).toEqual(checkpoint);
  });

  it.each([
    ['an empty origin', { origin: '' }, /origin must not be empty/],
    ['an origin with a newline', { origin: 'a\nb' }, /origin must not contain a newline/],
    ['a negative size', { size: -1 }, /non-negative safe integer, got -1/],
    ['a fractional size', { size: 1.5 }, /non-negative safe integer, got 1.5/],
    ['an unsafe size', { size: 2 ** 53 }, /non-negative safe integer/],
    ['a short root hash', { rootHash: new Uint8Array(31) }, /32 bytes, got 31/],
    ['an empty extension line', { extensions: ['ok', ''] }, /extension line 2 must not be empty/],
  ])('formatCheckpoint refuses %s', (_case, change, pattern) => {
    expectInvalid(() => formatCheckpoint({ ...specCheckpoint, ...change }), pattern);
  });

  const [origin, size, hash] = specBody.split('\n') as [string, string, string];
  const body = (...lines: string[]) => lines.map((line) => `${line}\n`).join('');
  it.each([
    ['text without a final newline', specBody.slice(0, -1), /must end in a newline/],
    ['only two lines', body(origin, size), /has 2 line\(s\)/],
    ['an empty origin', body('', size, hash), /origin must not be empty/],
    ['a size with a leading zero', body(origin, `0${size}`, hash), /"020852163" must be decimal digits without leading zeros/],
    ['a size of "00"', body(origin, '00', hash), /without leading zeros/],
    ['a signed size', body(origin, `+${size}`, hash), /decimal digits/],
    ['a negative size', body(origin, '-1', hash), /decimal digits/],
    ['a size with a space', body(origin, ` ${size}`, hash), /decimal digits/],
    ['an empty size', body(origin, '', hash), /decimal digits/],
    ['a size beyond 2^53', body(origin, '9007199254740993', hash), /too large/],
    ['a 31-byte root hash', body(origin, size, Buffer.alloc(31).toString('base64')), /exactly 32 bytes/],
    ['a 33-byte root hash', body(origin, size, Buffer.alloc(33).toString('base64')), /exactly 32 bytes/],
    ['an unpadded root hash', body(origin, size, hash.replace('=', '')), /exactly 32 bytes/],
    ['a root hash with stray bits', body(origin, size, hash.replace('2I=', '2J=')), /exactly 32 bytes/],
    ['hex instead of base64', body(origin, size, Buffer.from(rootHash).toString('hex')), /exactly 32 bytes/],
    ['an empty extension line', body(origin, size, hash, 'ext', ''), /extension line 2 must not be empty/],
  ])('parseCheckpoint refuses %s', (_case, text, pattern) => {
    expectInvalid(() => parseCheckpoint(text), pattern);
  });

  it('parseCheckpoint accepts the empty tree size "0"', () => {
    expect(parseCheckpoint(body(origin, '0', hash)).size).toBe(0);
  });
});

describe('signCheckpoint and openCheckpoint', () => {
  const log = newKey('aosiq.example/audit');
  const checkpoint = { origin: 'aosiq.example/audit', size: 42, rootHash, extensions: [] };

  it('round-trip a checkpoint signed by the log key', () => {
    const note = signCheckpoint(checkpoint, log.signer);
    expect(note.startsWith(`${formatCheckpoint(checkpoint)}\n\u2014 aosiq.example/audit `)).toBe(true);
    expect(openCheckpoint(note, [log.verifier], { origin: 'aosiq.example/audit' })).toEqual({
      checkpoint,
      verifiedBy: ['aosiq.example/audit'],
    });
  });

  it('rejects a checkpoint whose size was changed after signing', () => {
    const note = signCheckpoint(checkpoint, log.signer).replace('\n42\n', '\n43\n');
    expectInvalid(() => openCheckpoint(note, [log.verifier]), /does not verify/, 'bad-signature');
  });

  it('rejects a checkpoint from another log, even one a known key signed', () => {
    const note = signCheckpoint({ ...checkpoint, origin: 'other.example/log' }, log.signer);
    expectInvalid(
      () => openCheckpoint(note, [log.verifier], { origin: 'aosiq.example/audit' }),
      /origin "other.example\/log" is not the expected "aosiq.example\/audit"/,
      'wrong-origin',
    );
  });

  it('rejects a checkpoint no known key signed', () => {
    const note = signCheckpoint(checkpoint, newKey('aosiq.example/audit').signer);
    expectInvalid(() => openCheckpoint(note, [log.verifier]), /no signature on the note is from a known key/, 'unverified');
  });

  it('rejects a verified note whose body is not a checkpoint', () => {
    const note = signNote('hello\n', [log.signer]);
    expectInvalid(() => openCheckpoint(note, [log.verifier]), /has 1 line\(s\); it needs origin, tree size and root hash/);
  });
});
