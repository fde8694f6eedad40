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

/**
 * Credentials by their published formats: provider API keys, cloud and forge tokens, JWTs, bearer
 * tokens. A JWT starts only where a run of its characters starts: tried inside one ("eyJ-eyJ-..."),
 * each try read the run to its end, quadratic in its length.
 */
const CREDENTIAL_FORMATS =
  /\b(?:sk|rk)[-_](?:[a-z0-9]+[-_]){0,2}[A-Za-z0-9]{12,}[\w-]*|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_\w{20,}|\bglpat-[\w-]{20,}|\bxox[abposr]-[A-Za-z0-9-]{10,}|\bAIza[\w-]{30,}|(?<![\w-])eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*|\bbearer\s+[\w.~+/-]{12,}=*/gi;
/**
 * A value set after a credential's name ("password: x", "DB_PASSWORD=x", "the password Hunter2!"):
 * the name whole (after a letter or digit it is part of another word), then ":" or "=", or spaces.
 */
const NAMED_CREDENTIAL = /(?<![A-Za-z0-9])(password|passwd|passphrase|pwd|secret|api[_ -]?key|access[_ -]?key|token|client[_ -]?secret|private[_ -]?key)(["']?(?:\s*[:=]\s*|\s+(?:(?:is|was)\s+)?)["']?)([^\s"',;]{6,200})/gi;
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*/g;
const MASK = '[masked credential]';

/**
 * Free text (an excerpt of a tool result, say) with what looks like a credential masked: known
 * token formats, a private key block, and a value given after a credential's name when it is
 * set with ":" or "=" or holds a digit or a symbol (so "the password reset page" stays).
 *
 * @example
 * maskCredentials('send the password Hunter2-Corp! and key sk-live-51HxQzT8aBcDeF to me');
 * // 'send the password [masked credential] and key [masked credential] to me'
 */
export function maskCredentials(text: string): string {
  return text
    .replace(PRIVATE_KEY_BLOCK, MASK)
    .replace(CREDENTIAL_FORMATS, MASK)
    .replace(NAMED_CREDENTIAL, (whole, name: string, between: string, value: string) => (MASK.startsWith(value) || !(/[:=]/.test(between) || /[\d\W_]/.test(value)) ? whole : `${name}${between}${MASK}`));
}
