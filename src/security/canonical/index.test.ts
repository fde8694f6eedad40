import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAosError } from '../../errors.js';
import { argsHash, canonicalJson, type JsonValue, parseStrictJson, sha256Hex } from './index.js';

const VECTORS = path.resolve(process.cwd(), '../shared/vectors/jcs');

function readVector(folder: string, name: string): Buffer {
  return readFileSync(path.join(VECTORS, folder, name));
}

describe('RFC 8785 vectors (cyberphone/json-canonicalization)', () => {
  const inputs = readdirSync(path.join(VECTORS, 'input')).filter((name) => name.endsWith('.json'));

  it('finds the vector files', () => {
    expect(inputs).toEqual(
      expect.arrayContaining([
        'arrays.json',
        'french.json',
        'structures.json',
        'unicode.json',
        'values.json',
        'weird.json',
      ]),
    );
  });

  for (const name of inputs) {
    it(`canonicalises ${name} to the exact expected bytes`, () => {
      const canonical = canonicalJson(parseStrictJson(readVector('input', name).toString('utf8')));
      const bytes = Buffer.from(canonical, 'utf8');
      expect(bytes.equals(readVector('output', name))).toBe(true);
      const hex = readVector('outhex', name.replace(/\.json$/, '.txt'))
        .toString('utf8')
        .trim()
        .split(/\s+/);
      expect(bytes.toString('hex')).toBe(hex.join(''));
      expect(argsHash(parseStrictJson(readVector('input', name).toString('utf8')))).toBe(
        sha256Hex(readVector('output', name)),
      );
    });
  }

  it('refuses an integer literal beyond 2^53 but canonicalises the double 1E30 as the vector does', () => {
    const input = readVector('input', 'values.json').toString('utf8');
    expect(canonicalJson(parseStrictJson(input))).toContain('1e+30');
    expect(() => parseStrictJson(input.replace('1E30', '1000000000000000000000000000000'))).toThrow(
      /^args\.numbers\[1\] has number 1000000000000000000000000000000, which exceeds 2\^53-1/,
    );
  });
});

describe('argsHash', () => {
  it('is the SHA-256 of the canonical JSON', () => {
    expect(canonicalJson({ b: 1, a: 'x' })).toBe('{"a":"x","b":1}');
    expect(argsHash({ b: 1, a: 'x' })).toBe(
      'cdab067e9f3beb32d1252cfd63e492592fecbf591b0d08cadb24bb17f3864246',
    );
    expect(argsHash({ '€': '😂' })).toBe('3e0966aad904d0d11603044dfdcb7c10fb4a454300bf554b1098d35c29f7a82a');
  });

  it('does not depend on key order, at any depth', () => {
    const first = argsHash({ path: '/tmp/a', options: { mode: 420, recursive: true } });
    const second = argsHash({ options: { recursive: true, mode: 420 }, path: '/tmp/a' });
    expect(second).toBe(first);
    expect(argsHash(parseStrictJson('{ "options": {"recursive":true, "mode":420}, "path":"/tmp/a" }'))).toBe(
      first,
    );
  });

  it('changes when any value changes', () => {
    const base = argsHash({ path: '/tmp/a', items: [1, 2] });
    expect(argsHash({ path: '/tmp/b', items: [1, 2] })).not.toBe(base);
    expect(argsHash({ path: '/tmp/a', items: [2, 1] })).not.toBe(base);
    expect(argsHash({ path: '/tmp/a', items: [1, '2'] })).not.toBe(base);
    expect(argsHash({ path: '/tmp/a', items: [1, 2], extra: null })).not.toBe(base);
    expect(argsHash({ path: 'A\u030a' })).not.toBe(argsHash({ path: 'Å' }));
  });

  it('writes -0 as 0, as RFC 8785 does', () => {
    expect(canonicalJson([-0])).toBe('[0]');
  });

  it('refuses ambiguous values with the field path', () => {
    expect(() => argsHash({ when: new Date(0) })).toThrow(/^args\.when is a Date/);
    expect(() => canonicalJson({ n: Number.NaN }, 'event')).toThrow(/^event\.n is NaN/);
    try {
      argsHash(['x\ud800']);
      expect.unreachable();
    } catch (error) {
      expect(isAosError(error, 'INVALID_INPUT')).toBe(true);
    }
  });
});

describe('sha256Hex', () => {
  it('hashes strings as UTF-8 and bytes as given', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex(new Uint8Array([0x00, 0x01, 0xff]))).toBe(
      '26a66b061e8f48f39927c312f25293959729eee95978e2892d49d3512a5cc092',
    );
  });

  it('refuses a string that UTF-8 cannot encode', () => {
    // Encoded as U+FFFD, '\ud800' would otherwise hash like '\ufffd'.
    expect(() => sha256Hex('a\ud800')).toThrow(/lone UTF-16 surrogate at index 1/);
  });
});

/**
 * True when every number is one JSON text can carry through JSON.stringify unchanged, and no
 * string or key holds a NUL (refused: PostgreSQL jsonb cannot store it).
 */
function isSafe(value: unknown): boolean {
  if (typeof value === 'number') return !Object.is(value, -0) && Math.abs(value) <= Number.MAX_SAFE_INTEGER;
  if (typeof value === 'string') return !value.includes('\u0000');
  if (Array.isArray(value)) return value.every(isSafe);
  if (value !== null && typeof value === 'object')
    return Object.entries(value).every(([key, child]) => isSafe(key) && isSafe(child));
  return true;
}

/** The same value with every object's keys inserted in reverse order. */
function reverseKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  const reversed: { [key: string]: JsonValue } = {};
  for (const [key, child] of Object.entries(value).reverse()) {
    Object.defineProperty(reversed, key, {
      value: reverseKeys(child),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return reversed;
}

describe('properties over arbitrary JSON', () => {
  const safeJson = fc
    .jsonValue({ maxDepth: 8, stringUnit: 'binary' })
    .filter(isSafe) as fc.Arbitrary<JsonValue>;

  it('parseStrictJson reads back what JSON.stringify wrote', () => {
    fc.assert(
      fc.property(safeJson, (value) => {
        expect(parseStrictJson(JSON.stringify(value))).toEqual(value);
      }),
    );
  });

  it('argsHash is stable under key reordering and through a text round trip', () => {
    fc.assert(
      fc.property(safeJson, (value) => {
        const hash = argsHash(value);
        expect(argsHash(reverseKeys(value))).toBe(hash);
        expect(argsHash(parseStrictJson(JSON.stringify(reverseKeys(value), null, 2)))).toBe(hash);
      }),
    );
  });

  it('argsHash tells different values apart', () => {
    fc.assert(
      fc.property(safeJson, safeJson, (first, second) => {
        expect(argsHash(first) === argsHash(second)).toBe(isDeepStrictEqual(first, second));
      }),
    );
  });
});
