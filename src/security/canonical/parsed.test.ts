import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJsonOfParsed } from './parsed.js';

const VECTORS = path.resolve(process.cwd(), '../shared/vectors/jcs');

describe('canonicalJsonOfParsed', () => {
  it('writes every RFC 8785 vector exactly', () => {
    for (const name of readdirSync(path.join(VECTORS, 'input'))) {
      const parsed: unknown = JSON.parse(readFileSync(path.join(VECTORS, 'input', name), 'utf8'));
      expect(canonicalJsonOfParsed(parsed), name).toBe(readFileSync(path.join(VECTORS, 'output', name), 'utf8'));
    }
  });

  it('agrees with the canonicalize package on arbitrary parsed JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' }), (value) => {
        const parsed: unknown = JSON.parse(JSON.stringify(value));
        expect(canonicalJsonOfParsed(parsed)).toBe(canonicalize(parsed));
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with the canonicalize package as objects of few keys recur in every order', () => {
    // Keys JCS orders differently from insertion (digits, which objects list first, and
    // non-ASCII), keys that must be escaped, and "__proto__", drawn from a small set so that
    // shapes repeat, reordered, and share first keys.
    const key = fc.constantFrom('a', 'b', 'B', '1', '10', '2', '__proto__', 'é', '😀', 'a"b', 'tab\t', '');
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string({ unit: 'binary' }),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('node')),
        fc.array(fc.tuple(key, tie('node'))).map((entries) => Object.fromEntries(entries)),
      ),
    })).node;
    fc.assert(
      fc.property(fc.array(value, { maxLength: 10 }), (values) => {
        for (const made of values) {
          const parsed: unknown = JSON.parse(JSON.stringify(made));
          expect(canonicalJsonOfParsed(parsed)).toBe(canonicalize(parsed));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('still orders keys right after more object shapes than it keeps', () => {
    const objects = Array.from({ length: 3000 }, (_, i) => JSON.parse(`{"k${i}":1,"b":2,"a":${i}}`) as unknown);
    for (const object of [...objects, ...objects.reverse()]) expect(canonicalJsonOfParsed(object)).toBe(canonicalize(object));
  });

  it('leaves out members JSON.stringify cannot write, as it does', () => {
    expect(canonicalJsonOfParsed({ b: undefined, a: [undefined, 1] })).toBe(JSON.stringify({ a: [undefined, 1] }));
  });
});
