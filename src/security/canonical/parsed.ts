/**
 * RFC 8785 text of a value that is already known to be plain JSON, because it came from
 * JSON.parse or a database's json column (the audit verifier's case). It skips the checks
 * `canonicalJson` makes and serialises directly: keys sorted by UTF-16 code units, strings and
 * numbers as ECMAScript's JSON.stringify writes them, which is what RFC 8785 specifies. A
 * property test holds it equal to the `canonicalize` package.
 *
 * @example
 * canonicalJsonOfParsed(JSON.parse('{"b":1,"a":[true,null]}')); // '{"a":[true,null],"b":1}'
 */
export function canonicalJsonOfParsed(value: unknown): string {
  // Undefined only for a top-level undefined, function or symbol, as JSON.stringify returns.
  return serialise(value)!;
}

// Serialising member by member with string concatenation is about twice as fast on Node 20 as
// JSON.stringify over a copy with sorted keys (V8's JSON.stringify there has no fast path for
// small objects), provided neither the keys nor the strings go through JSON.stringify one by
// one: keys are quoted once per object shape (below) and strings that need no escape are
// quoted by hand. The text is a rope of the pieces concatenated, which the caller's write
// flattens at a cost per piece: hence labels that carry the separator before them and, for a
// string member, the quote after.
function serialise(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return quoteJson(value);
    case 'number':
      // JSON.stringify writes a finite number as Number#toString does, -0 as 0, others as null.
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      // undefined, functions and symbols: undefined; bigints throw, all as JSON.stringify does.
      return JSON.stringify(value);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += (i === 0 ? '' : ',') + (serialise(value[i]) ?? 'null');
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  const shape = shapeOf(Object.keys(record));
  let text = '';
  for (let i = 0; i < shape.sorted.length; i++) {
    const member = record[shape.sorted[i]!];
    if (isPlainJsonString(member)) {
      text += (text === '' ? shape.firstString[i]! : shape.nextString[i]!) + member + '"';
      continue;
    }
    const written = serialise(member);
    // JSON.stringify leaves out members it cannot write (undefined, functions, symbols).
    if (written !== undefined) text += (text === '' ? shape.first[i]! : shape.next[i]!) + written;
  }
  return text === '' ? '{}' : `${text}}`;
}

// A character JSON.stringify escapes, or may: controls, " and \, and surrogates (it escapes lone
// ones; pairs go to it too, as telling them apart costs more than it saves). Searching for one
// is cheaper than JSON.stringify, and cheaper than matching the whole string as plain.
const ESCAPED = /[^\x20\x21\x23-\x5b\x5d-\ud7ff\ue000-\uffff]/;

/**
 * Whether `value` is a string that JSON.stringify writes as it is, between quotes.
 *
 * @example
 * isPlainJsonString('a"b'); // false
 */
export function isPlainJsonString(value: unknown): value is string {
  return typeof value === 'string' && !ESCAPED.test(value);
}

function quoteJson(text: string): string {
  return ESCAPED.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/**
 * An object's keys as Object.keys lists them, in JCS order, and each as the label that opens
 * its member: `{"key":` for the first member written, `,"key":` for the others, and the same
 * followed by `"` for a member whose value is a plain string.
 */
interface Shape {
  readonly keys: readonly string[];
  readonly sorted: readonly string[];
  readonly first: readonly string[];
  readonly next: readonly string[];
  readonly firstString: readonly string[];
  readonly nextString: readonly string[];
}

// Objects of one kind (an event type's payload) list the same keys in the same order, so the
// sorted keys and their quoted labels are kept per key list, under its first key. A lookup
// compares the whole list, so a stale or colliding entry is only replaced. Payload keys come from
// whoever wrote the log, so the cache is emptied when it fills rather than grown without bound.
const shapes = new Map<string, Shape>();
const MAX_SHAPES = 1024;

function shapeOf(keys: string[]): Shape {
  const cached = shapes.get(keys[0] ?? '');
  if (cached !== undefined && sameKeys(cached.keys, keys)) return cached;
  const sorted = sortKeys(keys.slice());
  const first = sorted.map((key) => `{${quoteJson(key)}:`);
  const next = sorted.map((key) => `,${quoteJson(key)}:`);
  const withQuote = (label: string) => `${label}"`;
  const shape: Shape = { keys, sorted, first, next, firstString: first.map(withQuote), nextString: next.map(withQuote) };
  if (shapes.size >= MAX_SHAPES) shapes.clear();
  shapes.set(keys[0] ?? '', shape);
  return shape;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Keys in UTF-16 code unit order, as Array.prototype.sort() orders strings: an insertion sort
// for the few keys objects usually have, which costs n - 1 comparisons when already sorted.
function sortKeys(keys: string[]): string[] {
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}
