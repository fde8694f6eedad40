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
});
