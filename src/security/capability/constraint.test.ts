import { describe, expect, it } from 'vitest';
import {
  canonicalText,
  conjoinConstraints,
  constraintSchema,
  jsonValueSchema,
  readArgument,
  satisfiesConstraint,
} from './constraint.js';

describe('constraintSchema', () => {
  it('accepts the four kinds', () => {
    for (const constraint of [
      { eq: { a: [1, 'x', null] } },
      { oneOf: [1, 2] },
      { prefix: '/data/' },
      { range: { min: 0 } },
      { range: { max: 10 } },
    ]) {
      expect(constraintSchema.safeParse(constraint).success).toBe(true);
    }
  });

  it('rejects unknown keys, mixed kinds, empty oneOf and empty or inverted ranges', () => {
    for (const constraint of [
      { regex: '.*' },
      { eq: 1, prefix: 'a' },
      { oneOf: [] },
      { range: {} },
      { range: { min: 5, max: 1 } },
      { range: { min: 1, step: 2 } },
      { range: { min: Number.POSITIVE_INFINITY } },
      { prefix: 3 },
    ]) {
      expect(constraintSchema.safeParse(constraint).success, JSON.stringify(constraint)).toBe(false);
    }
  });

  it('refuses a __proto__ key instead of dropping it silently', () => {
    expect(jsonValueSchema.safeParse(JSON.parse('{"__proto__": 1}')).success).toBe(false);
  });
});

describe('canonicalText', () => {
  it('ignores object key order but not array order', () => {
    expect(canonicalText({ b: 1, a: { d: 2, c: 3 } })).toBe(canonicalText({ a: { c: 3, d: 2 }, b: 1 }));
    expect(canonicalText([1, 2])).not.toBe(canonicalText([2, 1]));
  });

  it('returns undefined for values that are not plain JSON', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const value of [
      undefined,
      Number.NaN,
      new Date(0),
      { toJSON: () => 'x' },
      cycle,
      new Array(2),
      [1, undefined],
    ]) {
      expect(canonicalText(value)).toBeUndefined();
    }
  });
});

describe('readArgument', () => {
  it('follows dotted paths through own properties only', () => {
    expect(readArgument({ target: { path: '/a' } }, 'target.path')).toBe('/a');
    expect(readArgument({ target: '/a' }, 'target.path')).toBeUndefined();
    expect(readArgument({}, 'constructor')).toBeUndefined();
    expect(readArgument({ a: {} }, 'a.__proto__')).toBeUndefined();
  });
});

describe('satisfiesConstraint', () => {
  it('compares eq and oneOf by canonical equality', () => {
    expect(satisfiesConstraint({ y: 1, x: 2 }, { eq: { x: 2, y: 1 } })).toBe(true);
    expect(satisfiesConstraint('2', { eq: 2 })).toBe(false);
    expect(satisfiesConstraint(2, { oneOf: [1, 2] })).toBe(true);
    expect(satisfiesConstraint(3, { oneOf: [1, 2] })).toBe(false);
  });

  it('does not let a toJSON object impersonate a string', () => {
    expect(satisfiesConstraint({ toJSON: () => 'ok' }, { eq: 'ok' })).toBe(false);
  });

  it('checks prefix on strings and range on numbers, inclusive', () => {
    expect(satisfiesConstraint('/data/x', { prefix: '/data/' })).toBe(true);
    expect(satisfiesConstraint(['/data/x'], { prefix: '/data/' })).toBe(false);
    expect(satisfiesConstraint(10, { range: { min: 0, max: 10 } })).toBe(true);
    expect(satisfiesConstraint(10.5, { range: { min: 0, max: 10 } })).toBe(false);
    expect(satisfiesConstraint('5', { range: { min: 0 } })).toBe(false);
  });

  it('fails every kind when the argument is missing', () => {
    for (const constraint of [{ eq: null }, { oneOf: [null] }, { prefix: '' }, { range: { min: 0 } }]) {
      expect(satisfiesConstraint(undefined, constraint)).toBe(false);
    }
  });
});

describe('conjoinConstraints', () => {
  it('keeps the longer of two compatible prefixes and rejects diverging ones', () => {
    expect(conjoinConstraints('path', [{ prefix: '/a' }, { prefix: '/a/b' }])).toEqual({
      constraints: [{ prefix: '/a/b' }],
    });
    expect(conjoinConstraints('path', [{ prefix: '/a' }, { prefix: '/b' }])).toEqual({
      conflict: 'path prefix "/a" vs prefix "/b"',
    });
  });

  it('tightens ranges and rejects empty ones', () => {
    expect(conjoinConstraints('n', [{ range: { min: 1 } }, { range: { min: 3, max: 9 } }])).toEqual({
      constraints: [{ range: { min: 3, max: 9 } }],
    });
    expect(conjoinConstraints('n', [{ range: { max: 1 } }, { range: { min: 3 } }])).toHaveProperty(
      'conflict',
    );
  });

  it('intersects finite sets and filters them by the other kinds', () => {
    expect(conjoinConstraints('m', [{ oneOf: ['r', 'w', 'x'] }, { oneOf: ['w', 'x', 'z'] }])).toEqual({
      constraints: [{ oneOf: ['w', 'x'] }],
    });
    expect(conjoinConstraints('m', [{ oneOf: ['/a/1', '/b/2'] }, { prefix: '/a' }])).toEqual({
      constraints: [{ eq: '/a/1' }],
    });
    expect(conjoinConstraints('m', [{ eq: 1 }, { eq: 2 }])).toEqual({ conflict: 'm eq 1 vs eq 2' });
    expect(conjoinConstraints('m', [{ eq: 'x' }, { oneOf: ['y'] }])).toHaveProperty('conflict');
    expect(conjoinConstraints('m', [{ eq: '/b' }, { prefix: '/a' }])).toEqual({
      conflict: 'm eq "/b" vs prefix "/a"',
    });
    expect(conjoinConstraints('m', [{ eq: 20 }, { range: { max: 10 } }])).toHaveProperty('conflict');
  });

  it('knows a string prefix and a numeric range cannot both hold', () => {
    expect(conjoinConstraints('v', [{ prefix: '' }, { range: { min: 0 } }])).toHaveProperty('conflict');
  });
});
