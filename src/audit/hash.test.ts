import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonOfParsed } from '../security/canonical/index.js';
import { type AuditEvent, GENESIS_HASH } from './event.js';
import { chainHash, GENESIS_RAW, hashedEvent, rawChainHash, sameHash } from './hash.js';

type HashedEvent = Omit<AuditEvent, 'id' | 'prev_hash' | 'hash'>;

const raw = (hex: string) => Buffer.from(hex, 'hex').toString('latin1');

// The definition, computed apart from the scratch buffers and caches under test.
function expected(prevHash: string, event: HashedEvent): string {
  const text = canonicalJson(hashedEvent(event), 'audit event');
  return createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(text, 'utf8').digest('hex');
}

function expectAllPathsAgree(prevHash: string, event: HashedEvent): void {
  const hash = expected(prevHash, event);
  expect(chainHash(prevHash, event)).toBe(hash);
  expect(chainHash(prevHash, event, canonicalJson(event.payload))).toBe(hash);
  const parsed = JSON.parse(JSON.stringify(event.payload)) as AuditEvent['payload'];
  expect(rawChainHash(raw(prevHash), event, canonicalJsonOfParsed(parsed))).toBe(raw(hash));
}

describe('chain hash paths', () => {
  it('agree with the definition as sessions, actors, principals and types change between events', () => {
    // Few values for the fields kept per session or type, so the same ones recur in new
    // combinations; some must be escaped, some are not ASCII.
    const shared = fc.constantFrom('ses_1', 'ses_2', 'a"b', 'tab\there', 'é', '😀', '');
    const text = fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\u0000'));
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            session_id: shared,
            chain_seq: fc.integer({ min: 1, max: 2 ** 40 }),
            type: shared,
            actor_id: fc.option(shared, { nil: null }),
            principal: fc.option(shared, { nil: null }),
            payload: fc.dictionary(text, text),
            at: fc.oneof(fc.date({ noInvalidDate: true }).map((date) => date.toISOString()), shared),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        fc.constantFrom(GENESIS_HASH, 'ab'.repeat(32), 'ff'.repeat(32)),
        (events, prevHash) => {
          for (const event of events) expectAllPathsAgree(prevHash, event);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('agree for events larger than the scratch buffer, and for small ones after them', () => {
    const event = (size: number): HashedEvent => ({
      session_id: 'ses_big',
      chain_seq: 1,
      type: 'TOOL_CALL_COMPLETED',
      actor_id: 'act_1',
      principal: 'p',
      payload: { output: 'x'.repeat(size), note: 'é'.repeat(size / 10) },
      at: '2026-01-01T00:00:00.000Z',
    });
    for (const size of [10, 1000, 5000, 100_000, 10, 3000]) expectAllPathsAgree('ab'.repeat(32), event(size));
  });
});

describe('sameHash', () => {
  it('is true only for the lower-case hex spelling of the raw hash', () => {
    const hex = createHash('sha256').update('x').digest('hex');
    expect(sameHash(raw(hex), hex)).toBe(true);
    expect(sameHash(GENESIS_RAW, GENESIS_HASH)).toBe(true);
    expect(sameHash(raw(hex), hex.toUpperCase())).toBe(false);
    expect(sameHash(raw(hex), hex.slice(0, 62))).toBe(false);
    expect(sameHash(raw(hex), `${hex}00`)).toBe(false);
    for (let i = 0; i < 64; i++) {
      const other = hex.slice(0, i) + (hex[i] === '0' ? '1' : '0') + hex.slice(i + 1);
      expect(sameHash(raw(hex), other)).toBe(false);
    }
  });
});
