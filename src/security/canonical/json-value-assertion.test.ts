import { describe, expect, it } from 'vitest';
import { AosError } from '../../errors.js';
import { assertJsonValue } from './json-value-assertion.js';

/** Asserts and returns the AosError it must throw. */
function rejection(value: unknown, field?: string): AosError {
  try {
    assertJsonValue(value, field);
  } catch (error) {
    if (error instanceof AosError) return error;
    throw error;
  }
  throw new Error('expected the value to be rejected');
}

describe('assertJsonValue', () => {
  it('accepts plain JSON, shared subtrees, null-prototype objects and -0', () => {
    const shared = { x: [1, 2] };
    const bare = Object.create(null) as Record<string, unknown>;
    bare.k = 'v';
    const value = { a: shared, b: shared, c: [null, true, 'é😂', 0.1, -0, Number.MAX_SAFE_INTEGER], d: bare };
    expect(() => assertJsonValue(value)).not.toThrow();
  });

  it('rejects values JSON cannot carry, naming the path', () => {
    expect(rejection({ items: [{ name: undefined }] }).message).toMatch(
      /^args\.items\[0\]\.name is undefined, which JSON cannot carry/,
    );
    expect(rejection([() => 1]).message).toMatch(/^args\[0\] is a function/);
    expect(rejection({ s: Symbol('x') }).message).toMatch(/^args\.s is a symbol/);
    expect(rejection({ n: 1n }).message).toMatch(/^args\.n is a bigint/);
    expect(rejection(undefined).message).toMatch(/^args is undefined/);
    expect(rejection({ x: undefined }, 'payload').details).toEqual({ field: 'payload.x' });
  });

  it('rejects NaN and Infinity', () => {
    expect(rejection({ price: Number.NaN }).message).toBe(
      'args.price is NaN, which is not a finite JSON number; send a finite number or null',
    );
    expect(rejection([Number.POSITIVE_INFINITY]).message).toContain('args[0] is Infinity');
    expect(rejection([Number.NEGATIVE_INFINITY]).message).toContain('-Infinity');
  });

  it('accepts every finite double: integer spellings beyond 2^53 are refused where text is parsed', () => {
    expect(() => assertJsonValue({ id: 2 ** 53, big: 1e30 })).not.toThrow();
    expect(rejection({ id: Number.POSITIVE_INFINITY }).message).toContain('args.id is Infinity');
  });

  it('rejects lone surrogates in strings and in keys', () => {
    expect(rejection({ a: ['ok', 'x\ud800'] }).message).toMatch(
      /^args\.a\[1\] has a lone UTF-16 surrogate U\+D800 at index 1/,
    );
    expect(rejection({ '\udc00': 1 }).message).toMatch(
      /^args has a lone UTF-16 surrogate U\+DC00 at index 0 of object key/,
    );
    expect(() => assertJsonValue({ '😂': '😂' })).not.toThrow();
  });

  it('rejects objects that are not plain', () => {
    expect(rejection({ when: new Date(0) }).message).toMatch(/^args\.when is a Date, not a plain object/);
    expect(rejection({ m: new Map() }).message).toContain('is a Map');
    expect(rejection({ s: new Set() }).message).toContain('is a Set');
    expect(rejection({ b: Buffer.from('hi') }).message).toContain('is a Buffer');
    expect(rejection({ u: new Uint8Array(2) }).message).toContain('is a Uint8Array');
    class Point {
      x = 1;
    }
    expect(rejection(new Point()).message).toContain('args is a Point');
    expect(rejection([new String('s')]).message).toContain('args[0] is a String');
    expect(rejection(new Proxy({}, {})).message).toContain('is a Proxy');
  });

  it('rejects properties the canonicaliser would drop or re-read', () => {
    expect(rejection({ [Symbol('k')]: 1 }).message).toContain('has symbol key Symbol(k)');
    const hidden = {};
    Object.defineProperty(hidden, 'h', { value: 1, enumerable: false });
    expect(rejection({ o: hidden }).message).toContain('args.o.h is a non-enumerable property');
    const getter = {
      get g() {
        return 1;
      },
    };
    expect(rejection(getter).message).toContain('args.g is a getter');
  });

  it('rejects sparse arrays and arrays with extra properties', () => {
    // eslint-disable-next-line no-sparse-arrays -- a sparse array is exactly what is tested
    expect(rejection({ list: [1, , 3] }).message).toContain('args.list[1] is a hole in a sparse array');
    expect(rejection(new Array(2)).message).toContain('args[0] is a hole');
    const tagged = Object.assign([1], { tag: 'x' });
    expect(rejection(tagged).message).toContain('args is an array with 1 non-index properties');
    class List extends Array<number> {}
    expect(rejection(List.from([1])).message).toContain('array subclass');
  });

  it('rejects cycles', () => {
    const node: Record<string, unknown> = { name: 'n' };
    node.self = node;
    expect(rejection({ root: node }).message).toBe(
      'args.root.self refers back to a containing value (a cycle); send a tree',
    );
    const list: unknown[] = [];
    list.push([list]);
    expect(rejection(list).message).toContain('args[0][0] refers back');
  });

  it('limits nesting to 64 containers', () => {
    let deep: unknown = 1;
    for (let level = 0; level < 64; level++) deep = [deep];
    expect(() => assertJsonValue(deep)).not.toThrow();
    expect(rejection([deep]).message).toBe(
      `args${'[0]'.repeat(64)} nests containers deeper than 64 levels; flatten it`,
    );
  });
});

describe('NUL characters', () => {
  it('are refused in strings and keys', () => {
    expect(() => assertJsonValue({ path: 'a\u0000b' })).toThrow(/args\.path has a NUL character/);
    expect(() => assertJsonValue({ 'k\u0000': 1 })).toThrow(/NUL character/);
  });
});
