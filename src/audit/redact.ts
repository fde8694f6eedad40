import { createHash } from 'node:crypto';
import type { JsonValue } from '../security/canonical/index.js';

// Argument names that carry credentials. Their values never reach the audit payload in clear;
// the args hash still binds them, and a digest lets an investigator match a known value.
const SECRET_KEY =
  /(pass(word|phrase)?|secret|token|api[-_]?key|authorization|cookie|credential|private[-_]?key)/i;

/**
 * A copy of `value` with the values of secret-looking keys replaced by a SHA-256 digest.
 *
 * @example
 * redactSecrets({ url: 'https://x', headers: { Authorization: 'Bearer abc' } });
 * // { url: 'https://x', headers: { Authorization: '[redacted sha256:…]' } }
 */
export function redactSecrets(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  const copy: { [key: string]: JsonValue } = {};
  for (const [key, inner] of Object.entries(value)) {
    copy[key] = SECRET_KEY.test(key)
      ? `[redacted sha256:${createHash('sha256').update(JSON.stringify(inner)).digest('hex').slice(0, 16)}]`
      : redactSecrets(inner);
  }
  return copy;
}
