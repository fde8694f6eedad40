import type { JsonValue } from '../security/canonical/index.js';
import { isSecretName, maskedValue, redactUrlSecrets } from '../security/secrets.js';

/**
 * A copy of `value` fit for the audit log and approvers' screens: values under credential
 * names become digests, and URLs lose their user:password and secret query parameters. The
 * args hash, computed before this, still binds the real values.
 *
 * @example
 * redactSecrets({ url: 'https://x.test', headers: { Authorization: 'Bearer abc' } });
 * // { url: 'https://x.test', headers: { Authorization: '[redacted sha256:…]' } }
 */
export function redactSecrets(value: JsonValue): JsonValue {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  const copy: { [key: string]: JsonValue } = {};
  for (const [key, inner] of Object.entries(value)) {
    // defineProperty, so a "__proto__" key stays a key instead of replacing the prototype.
    Object.defineProperty(copy, key, {
      value: isSecretName(key) ? maskedValue(inner) : redactSecrets(inner),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/**
 * Text that may hold caller-supplied values (an error message, a tool name), made safe to
 * store: URL secrets masked, unpaired surrogates and NUL characters replaced.
 *
 * @example
 * storableText('bad tool "x\u0000"'); // 'bad tool "x\\u0000"'
 */
export function storableText(text: string): string {
  return redactUrlSecrets(text.toWellFormed().replaceAll('\u0000', '\\u0000'));
}
