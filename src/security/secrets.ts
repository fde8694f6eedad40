import { createHash } from 'node:crypto';

// Names that carry credentials. Whole-word matches on the parts of a name (split at "_", "-",
// "." and case changes), so "api_key" and "apiKey" match while "max_tokens" and "bypass" do not.
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'authorization',
  'cookie',
  'credential',
  'credentials',
  'privatekey',
  'signature',
]);

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * True when a key or argument name (or any segment of a dotted path) names a credential.
 *
 * @example
 * isSecretName('headers.Authorization'); // true
 * isSecretName('max_tokens'); // false
 */
export function isSecretName(name: string): boolean {
  const parts = words(name);
  return parts.some(
    (part, i) =>
      SECRET_WORDS.has(part) ||
      SECRET_WORDS.has(`${part}${parts[i + 1] ?? ''}`) ||
      (part === 'auth' && parts[i + 1] === undefined),
  );
}

/**
 * How a secret value is shown: a short digest an investigator can match against a known
 * value, never the value.
 *
 * @example
 * maskedValue('hunter2'); // '[redacted sha256:…]'
 */
export function maskedValue(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return `[redacted sha256:${createHash('sha256').update(text).digest('hex').slice(0, 16)}]`;
}

/**
 * A URL with its user:password and secret-looking query parameters masked; other text unchanged.
 *
 * @example
 * redactUrlSecrets('https://u:p@x.test/a?api_key=k&q=1'); // 'https://***@x.test/a?api_key=[redacted…]&q=1'
 */
export function redactUrlSecrets(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (match) => {
    let url: URL;
    try {
      url = new URL(match);
    } catch {
      return match;
    }
    let changed = false;
    if (url.username || url.password) {
      url.username = '***';
      url.password = '';
      changed = true;
    }
    for (const [key, value] of [...url.searchParams]) {
      if (isSecretName(key)) {
        url.searchParams.set(key, maskedValue(value));
        changed = true;
      }
    }
    return changed ? url.toString() : match;
  });
}
