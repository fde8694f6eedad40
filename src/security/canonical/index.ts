/**
 * The canonical argument hash: SHA-256 over the RFC 8785 (JCS) form of a JSON value. The
 * approval gate binds an approval to `argsHash(args)` and the audit chain hashes JCS(event),
 * so every input with more than one reading is refused before it is hashed.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { AosError } from '../../errors.js';
import { findLoneSurrogate } from './json-value.js';
import { assertJsonValue } from './json-value-assertion.js';

export { type JsonValue, MAX_JSON_DEPTH } from './json-value.js';
export { assertJsonValue } from './json-value-assertion.js';
export { parseStrictJson } from './strict-json-parser.js';

/**
 * The RFC 8785 canonical JSON text of a value, after `assertJsonValue` has checked it.
 *
 * @throws AosError INVALID_INPUT when the value is not plain, unambiguous JSON.
 * @example
 * canonicalJson({ b: 1, a: 'x' }); // '{"a":"x","b":1}'
 */
export function canonicalJson(value: unknown, field = 'args'): string {
  assertJsonValue(value, field);
  const text = canonicalize(value);
  if (text === undefined) {
    throw new AosError('INTERNAL', `${field} produced no canonical JSON although it passed validation`, {
      field,
    });
  }
  return text;
}

/**
 * Lower-case hex SHA-256 of bytes, or of a string's UTF-8 encoding.
 *
 * @throws AosError INVALID_INPUT when a string holds a lone UTF-16 surrogate, which UTF-8
 *   cannot encode (it would hash as U+FFFD, the same as a different string).
 * @example
 * sha256Hex(''); // 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
 */
export function sha256Hex(data: string | Uint8Array): string {
  if (typeof data === 'string') {
    const lone = findLoneSurrogate(data);
    if (lone !== -1) {
      throw new AosError(
        'INVALID_INPUT',
        `sha256Hex input has a lone UTF-16 surrogate at index ${lone}; pass well-formed text or bytes`,
        { index: lone },
      );
    }
  }
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The argument hash an approval is bound to: hex SHA-256 of the UTF-8 bytes of
 * `canonicalJson(value)`. Key order does not change it; any change of a value does.
 *
 * @throws AosError INVALID_INPUT when the value is not plain, unambiguous JSON.
 * @example
 * argsHash({ b: 1, a: 'x' }) === sha256Hex('{"a":"x","b":1}'); // true
 */
export function argsHash(value: unknown, field = 'args'): string {
  return sha256Hex(canonicalJson(value, field));
}
export { canonicalJsonOfParsed } from './parsed.js';
