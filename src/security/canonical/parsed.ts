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
  // One native JSON.stringify over a copy whose objects hold their keys in sorted order is about
  // twice as fast as serialising member by member. Objects list array-index keys first whatever
  // the insertion order, and assigning "__proto__" sets the prototype, so a value with such keys
  // takes the member-by-member path.
  const sorted = sortedCopy(value);
  return sorted === UNSORTABLE ? serialise(value) : JSON.stringify(sorted);
}

const UNSORTABLE = Symbol('unsortable');

function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = sortedCopy(value[i]);
      if (item === UNSORTABLE) return UNSORTABLE;
      copy[i] = item;
    }
    return copy;
  }
  const record = value as Record<string, unknown>;
  const keys = sortKeys(Object.keys(record));
  const copy: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const first = key.charCodeAt(0);
    if ((first >= 0x30 && first <= 0x39) || key === '__proto__') return UNSORTABLE;
    const member = sortedCopy(record[key]);
    if (member === UNSORTABLE) return UNSORTABLE;
    copy[key] = member;
  }
  return copy;
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

function serialise(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += (i === 0 ? '' : ',') + serialise(value[i]);
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = sortKeys(Object.keys(record));
  let text = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    text += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${serialise(record[key])}`;
  }
  return `${text}}`;
}
