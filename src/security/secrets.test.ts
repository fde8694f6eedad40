import { describe, expect, it } from 'vitest';
import { isSecretName, maskedValue, redactUrlSecrets } from './secrets.js';

describe('secret names', () => {
  it('match credentials by whole words, in any case style', () => {
    for (const name of ['password', 'api_key', 'apiKey', 'X-Api-Key', 'headers.Authorization', 'client_secret', 'refresh-token', 'auth'])
      expect(isSecretName(name), name).toBe(true);
    for (const name of ['max_tokens', 'bypass', 'compass', 'author', 'path', 'tokenizer_name', 'secretary'])
      expect(isSecretName(name), name).toBe(false);
  });

  it('show a digest, not the value', () => {
    expect(maskedValue('hunter2')).toMatch(/^\[redacted sha256:[0-9a-f]{16}\]$/);
    expect(maskedValue('hunter2')).not.toContain('hunter2');
  });
});

describe('URLs', () => {
  it('lose user:password and secret query parameters, keep the rest', () => {
    const redacted = redactUrlSecrets('GET https://alice:pw@api.test/v1?api_key=k123&q=cats failed');
    expect(redacted).not.toContain('pw@');
    expect(redacted).not.toContain('k123');
    expect(redacted).toContain('q=cats');
    expect(redacted).toContain('api.test/v1');
    expect(redactUrlSecrets('see https://example.test/x?q=1')).toBe('see https://example.test/x?q=1');
  });
});
