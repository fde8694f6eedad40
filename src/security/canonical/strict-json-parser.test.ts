import { describe, expect, it } from 'vitest';
import { AosError } from '../../errors.js';
import { parseStrictJson } from './strict-json-parser.js';

/** Parses and returns the AosError it must throw. */
function rejection(text: string, field?: string): AosError {
  try {
    parseStrictJson(text, field);
  } catch (error) {
    if (error instanceof AosError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('parseStrictJson', () => {
  it('parses every JSON value kind like JSON.parse', () => {
    const text =
      '{"s":"a\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9","n":[0,-0.5,1e-3,12,-7],"b":[true,false],"z":null,"o":{}}';
    expect(parseStrictJson(text)).toEqual(JSON.parse(text));
    expect(parseStrictJson(' \t\r\n[ ] ')).toEqual([]);
    expect(parseStrictJson('"😂"')).toBe('😂');
  });

  it('keeps "__proto__" as an own key instead of changing the prototype', () => {
    const value = parseStrictJson('{"__proto__":{"admin":true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ admin: true });
  });

  it('rejects a duplicate key with its path and position', () => {
    const error = rejection('{"items":[{"name":1,"name":2}]}');
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('args.items[0] has duplicate object key "name"');
    expect(error.message).toContain('line 1, column 21');
    expect(error.details).toMatchObject({ field: 'args.items[0]', offset: 20 });
  });

  it('rejects duplicates that differ only in escaping', () => {
    expect(rejection('{"a":1,"\\u0061":2}').message).toContain('duplicate object key "a"');
    expect(rejection('{"\\/":1,"/":2}').message).toContain('duplicate object key "/"');
    expect(rejection('{"😂":1,"\\ud83d\\ude02":2}').message).toContain('duplicate object key');
  });

  it('accepts keys that look alike but differ after unescaping', () => {
    expect(parseStrictJson('{"a":1,"A":2,"a ":3,"Å":4,"A\\u030a":5}')).toEqual({
      a: 1,
      A: 2,
      'a ': 3,
      Å: 4,
      A\u030a: 5,
    });
  });

  it('accepts the largest safe integers and rejects 2^53 and beyond', () => {
    expect(parseStrictJson('[9007199254740991,-9007199254740991]')).toEqual([
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ]);
    expect(rejection('{"id":9007199254740992}').message).toMatch(
      /^args\.id has number 9007199254740992, which exceeds 2\^53-1/,
    );
    expect(rejection('[1,9007199254740993]').message).toContain('args[1] has number 9007199254740993');
    expect(rejection('-9007199254740992').message).toContain('-9007199254740992');
  });

  it('rejects integer literals beyond 2^53 and accepts numbers written as doubles', () => {
    // An integer literal names one integer; beyond 2^53 many of them share one double.
    for (const literal of [
      '9007199254740992',
      '9007199254740993',
      '-9007199254740993',
      '100000000000000000000',
    ]) {
      expect(rejection(literal).message).toContain(`has number ${literal}, which exceeds 2^53-1`);
    }
    expect(parseStrictJson('9007199254740991')).toBe(9007199254740991);
    // A fraction or exponent declares a double, canonicalised as RFC 8785 says (its vectors hold 1E30).
    expect(parseStrictJson('1E30')).toBe(1e30);
    expect(parseStrictJson('-2.5e16')).toBe(-2.5e16);
  });

  it('rejects numbers that overflow or underflow a double', () => {
    expect(rejection('1e400').message).toContain('has number 1e400, which overflows a double');
    expect(rejection('-1e400').message).toContain('overflows a double');
    expect(rejection('1e-400').message).toContain('has number 1e-400, which underflows to 0');
    expect(parseStrictJson('0e-400')).toBe(0);
    expect(parseStrictJson('0.000e5')).toBe(0);
  });

  it('reads fractions as their nearest double, as RFC 8785 does', () => {
    expect(parseStrictJson('333333333.33333329')).toBe(333333333.3333333);
    expect(parseStrictJson('4.50')).toBe(4.5);
    expect(Object.is(parseStrictJson('-0'), -0)).toBe(true);
  });

  it('rejects lone surrogates, escaped or raw, in values and keys', () => {
    expect(rejection('{"k":"\\ud800"}').message).toMatch(
      /^args\.k has a lone UTF-16 surrogate U\+D800 at index 0/,
    );
    expect(rejection('["ok","x\\udc00"]').message).toContain(
      'args[1] has a lone UTF-16 surrogate U+DC00 at index 1',
    );
    expect(rejection('"\\ud83d\\u0041"').message).toContain('U+D83D');
    expect(rejection('"\\ude02\\ud83d"').message).toContain('U+DE02');
    expect(rejection('"\ud800"').message).toContain('lone UTF-16 surrogate U+D800');
    expect(rejection('"a\udfff"').message).toContain('U+DFFF at index 1');
    expect(rejection('{"\\ud800":1}').message).toContain('at index 0 of an object key');
  });

  it('accepts a surrogate pair written raw, escaped or mixed', () => {
    expect(parseStrictJson('["😂","\\ud83d\\ude02","\ud83d\\ude02"]')).toEqual(['😂', '😂', '😂']);
  });

  it('rejects trailing garbage after the value', () => {
    const error = rejection('{"a":1} x');
    expect(error.message).toBe(
      "args has trailing data 'x' after the JSON value at line 1, column 9 (offset 8); send exactly one value",
    );
    expect(rejection('{"a":1}{}').message).toContain('trailing data');
    expect(rejection('01').message).toContain('trailing data');
  });

  it('rejects invalid JSON with line and column', () => {
    expect(rejection('{\n  "a": [1,\n    ]\n}').message).toContain(
      'args.a[1] expected a JSON value but found',
    );
    expect(rejection('{\n  "a": [1,\n    ]\n}').message).toContain('line 3, column 5');
    expect(rejection('').message).toContain('args is empty');
    expect(rejection('  ').message).toContain('args is empty');
    expect(rejection('{"a":1,}').message).toContain('expected a string key');
    expect(rejection('{a:1}').message).toContain('expected a string key');
    expect(rejection("['a']").message).toContain("found '''");
    expect(rejection('[1 2]').message).toContain("expected ',' between array elements");
    expect(rejection('{"a" 1}').message).toContain("expected ':' after an object key");
    expect(rejection('[1,').message).toContain('found the end of input');
    expect(rejection('"abc').message).toContain('has a string without a closing quote');
    expect(rejection('"a\nb"').message).toContain('raw control character U+000A');
    expect(rejection('"\\x41"').message).toContain('invalid escape \\x');
    expect(rejection('"\\u12"').message).toContain('\\u escape without four hex digits');
    expect(rejection('tru').message).toContain('expected true');
    expect(rejection('NaN').message).toContain("found 'N'");
    expect(rejection('-Infinity').message).toContain('invalid number');
    expect(rejection('1.').message).toContain('trailing data');
    expect(rejection('+1').message).toContain("found '+'");
    expect(rejection('\ufeff{}').message).toContain('found U+FEFF');
    expect(rejection('[1,\u00a02]').message).toContain('found U+00A0');
  });

  it('limits nesting to 64 containers', () => {
    expect(parseStrictJson(`${'['.repeat(64)}${']'.repeat(64)}`)).toBeInstanceOf(Array);
    const deepArrays = rejection(`${'['.repeat(65)}${']'.repeat(65)}`);
    expect(deepArrays.message).toContain('nests containers deeper than 64 levels');
    expect(deepArrays.details.field).toBe(`args${'[0]'.repeat(64)}`);
    const deepObjects = rejection(`${'{"a":'.repeat(65)}1${'}'.repeat(65)}`);
    expect(deepObjects.message).toContain('deeper than 64 levels');
    expect(() => parseStrictJson('['.repeat(100_000))).toThrow(AosError);
  });

  it('names the field the caller passes', () => {
    expect(rejection('{"a b":{"c":[nul]}}', 'event').message).toMatch(
      /^event\["a b"\]\.c\[0\] expected null/,
    );
  });
});

describe('NUL characters', () => {
  it('are refused in strings and keys, which the audit log could not store', () => {
    expect(() => parseStrictJson('{"path":"a\\u0000b"}')).toThrow(/args\.path has a NUL character/);
    expect(() => parseStrictJson('{"a\\u0000":1}')).toThrow(/NUL character/);
  });
});
