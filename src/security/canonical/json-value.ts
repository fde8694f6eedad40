/**
 * The JSON values we hash, and the rules both entry points (text and JS value) share, so a
 * value accepted from one side is accepted from the other.
 */

/** A JSON value that canonicalises to exactly one byte string. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Containers nested deeper than this are rejected: real tool arguments stay far below it, and
 * a bound keeps both the recursive parser and the recursive canonicaliser off the stack limit.
 */
export const MAX_JSON_DEPTH = 64;

/** One step of a field path: an object key or an array index. */
export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Renders a field path the way a caller writes it in code.
 *
 * @example
 * formatFieldPath('args', ['items', 2, 'name']); // 'args.items[2].name'
 * formatFieldPath('args', ['a b']); // 'args["a b"]'
 */
export function formatFieldPath(field: string, segments: readonly PathSegment[]): string {
  let path = field;
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) path += `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}

/**
 * Index of the first UTF-16 surrogate without its partner, or -1. A lone surrogate has no
 * UTF-8 encoding; encoders replace it with U+FFFD, so two different strings would hash alike.
 *
 * @example
 * findLoneSurrogate('\ud83d\ude02'); // -1 (a valid pair)
 * findLoneSurrogate('a\ud800'); // 1
 */
export function findLoneSurrogate(text: string): number {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0xd800 || code > 0xdfff) continue;
    if (code <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        index++;
        continue;
      }
    }
    return index;
  }
  return -1;
}

/**
 * Why a number cannot be hashed, or undefined when it can. Every double of magnitude 2^53 or
 * more is an integer that many distinct integers round to (9007199254740993 arrives as
 * 9007199254740992), so the whole range is refused rather than only the plain-integer spelling.
 *
 * @example
 * describeUnsafeNumber(2 ** 53); // 'exceeds 2^53-1 in magnitude, ...'
 * describeUnsafeNumber(0.5); // undefined
 */
export function describeUnsafeNumber(value: number): string | undefined {
  if (!Number.isFinite(value)) return 'is not a finite JSON number';
  if (!Number.isInteger(value)) return undefined;
  if (Math.abs(value) > Number.MAX_SAFE_INTEGER) {
    return 'exceeds 2^53-1 in magnitude, where distinct integers share one double';
  }
  return undefined;
}

/**
 * Cuts a rendering of a value down to a length that fits in an error message.
 *
 * @example
 * shorten('x'.repeat(100)); // 'xxxxxxxx…' (60 characters)
 */
export function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/**
 * A short, printable rendering of an offending primitive for an error message.
 *
 * @example
 * describePrimitive('a"b'); // '"a\\"b"'
 * describePrimitive(10n); // '10n'
 */
export function describePrimitive(value: string | number | bigint | symbol | boolean | undefined): string {
  if (typeof value === 'string') return shorten(JSON.stringify(value));
  if (typeof value === 'bigint') return shorten(`${value}n`);
  if (Object.is(value, -0)) return '-0';
  return shorten(String(value));
}
