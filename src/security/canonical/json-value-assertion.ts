import { types } from 'node:util';
import { AosError } from '../../errors.js';
import {
  describePrimitive,
  findLoneSurrogate,
  formatFieldPath,
  type JsonValue,
  MAX_JSON_DEPTH,
  type PathSegment,
} from './json-value.js';

/**
 * Asserts that a JS value (for example a body a framework already parsed) is plain JSON with
 * one canonical form. Refuses undefined, functions, symbols, bigints, NaN and ±Infinity,
 * lone UTF-16 surrogates and NUL characters in strings and keys, anything but
 * plain objects and arrays (Date, Map, Set, Buffer, class instances, proxies), sparse arrays,
 * arrays with extra properties, symbol, hidden or getter properties, cycles, and nesting
 * deeper than 64 containers: each of these would be dropped, coerced or read differently by
 * the canonicaliser, so two different arguments could hash alike. -0 is accepted; RFC 8785
 * writes it as 0.
 *
 * @throws AosError INVALID_INPUT naming the field path, e.g. `args.items[2].name`.
 * @example
 * assertJsonValue({ path: '/tmp/a', mode: 420 }); // passes
 * assertJsonValue({ when: new Date() }); // throws: args.when is a Date ...
 */
export function assertJsonValue(value: unknown, field = 'args'): asserts value is JsonValue {
  checkValue(value, { field, segments: [], ancestors: new Set() }, 0);
}

interface Walk {
  readonly field: string;
  readonly segments: PathSegment[];
  readonly ancestors: Set<object>;
}

function checkValue(value: unknown, walk: Walk, depth: number): void {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'string') {
    checkString(value, walk, 'string');
  } else if (typeof value === 'number') {
    // A JS number is already a double: JCS gives it one canonical form. Integer spellings that a
    // double cannot hold are refused where JSON text arrives (parseStrictJson), not here.
    if (!Number.isFinite(value)) {
      fail(
        walk,
        `is ${describePrimitive(value)}, which is not a finite JSON number; send a finite number or null`,
      );
    }
  } else if (typeof value === 'object') {
    checkContainer(value, walk, depth + 1);
  } else {
    // undefined, function, symbol, bigint: JSON has no such value.
    const kind = value === undefined ? 'undefined' : `a ${typeof value}`;
    fail(walk, `is ${kind}, which JSON cannot carry; send null, a string or a number`);
  }
}

function checkContainer(value: object, walk: Walk, depth: number): void {
  if (depth > MAX_JSON_DEPTH) fail(walk, `nests containers deeper than ${MAX_JSON_DEPTH} levels; flatten it`);
  if (walk.ancestors.has(value)) fail(walk, 'refers back to a containing value (a cycle); send a tree');
  if (types.isProxy(value)) fail(walk, 'is a Proxy; send a plain object or array');
  walk.ancestors.add(value);
  if (Array.isArray(value)) checkArray(value, walk, depth);
  else checkObject(value, walk, depth);
  walk.ancestors.delete(value);
}

function checkArray(array: unknown[], walk: Walk, depth: number): void {
  if (Object.getPrototypeOf(array) !== Array.prototype) {
    fail(walk, 'is an array subclass; send a plain array');
  }
  // Own keys are the indices plus "length"; anything more is a property JSON would drop.
  const extra = Reflect.ownKeys(array).length - array.length - 1;
  for (let index = 0; index < array.length; index++) {
    walk.segments.push(index);
    const descriptor = Object.getOwnPropertyDescriptor(array, index);
    if (descriptor === undefined) fail(walk, 'is a hole in a sparse array; fill it, e.g. with null');
    if (!('value' in descriptor)) fail(walk, 'is a getter; send plain data');
    checkValue(descriptor.value, walk, depth);
    walk.segments.pop();
  }
  if (extra > 0) fail(walk, `is an array with ${extra} non-index properties, which JSON drops`);
}

function checkObject(object: object, walk: Walk, depth: number): void {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    fail(walk, `is a ${describeKind(object)}, not a plain object; convert it to plain JSON first`);
  }
  for (const key of Reflect.ownKeys(object)) {
    if (typeof key === 'symbol') fail(walk, `has symbol key ${describePrimitive(key)}, which JSON drops`);
    checkString(key, walk, 'object key');
    walk.segments.push(key);
    const descriptor = Object.getOwnPropertyDescriptor(object, key);
    if (descriptor === undefined || !('value' in descriptor)) fail(walk, 'is a getter; send plain data');
    if (!descriptor.enumerable) fail(walk, 'is a non-enumerable property, which JSON drops');
    checkValue(descriptor.value, walk, depth);
    walk.segments.pop();
  }
}

function checkString(text: string, walk: Walk, kind: 'string' | 'object key'): void {
  if (text.includes('\u0000')) {
    fail(
      walk,
      `has a NUL character (\\u0000) at index ${text.indexOf('\u0000')} of ${kind} ${describePrimitive(text)}; remove it: the audit log (PostgreSQL jsonb) cannot store it`,
    );
  }
  const lone = findLoneSurrogate(text);
  if (lone === -1) return;
  const unit = text.charCodeAt(lone).toString(16).toUpperCase();
  fail(
    walk,
    `has a lone UTF-16 surrogate U+${unit} at index ${lone} of ${kind} ${describePrimitive(text)}; ` +
      'send well-formed Unicode',
  );
}

function describeKind(object: object): string {
  if (Buffer.isBuffer(object)) return 'Buffer';
  const name: unknown = object.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'non-plain object';
}

function fail(walk: Walk, problem: string): never {
  const path = formatFieldPath(walk.field, walk.segments);
  throw new AosError('INVALID_INPUT', `${path} ${problem}`, { field: path });
}
