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
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += (i === 0 ? '' : ',') + canonicalJsonOfParsed(value[i]);
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let text = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    text += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${canonicalJsonOfParsed(record[key])}`;
  }
  return `${text}}`;
}
