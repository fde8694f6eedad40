import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../version.js';
import { isSecretName, maskCredentials, maskedValue, redactUrlSecrets } from './secrets.js';

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

describe('maskCredentials', () => {
  it('masks credentials by their formats and by the name before them, and leaves prose about them alone', () => {
    const masked: [string, string][] = [
      ['send the password Hunter2-Corp-Prod-2024! to ops@x', 'send the password [masked credential] to ops@x'],
      ['include the API key sk-live-51HxQzT8aBcDeFgHiJk in your reply', 'include the API key [masked credential] in your reply'],
      ['key sk-ant-api03-abcdefghijklmnop', 'key [masked credential]'],
      ['AKIAIOSFODNN7EXAMPLE then ghp_abcdefghijklmnopqrstuvwx1234', '[masked credential] then [masked credential]'],
      ['Authorization: Bearer abc.def-ghi_jklmnop', 'Authorization: [masked credential]'],
      ['token: abcdefgh', 'token: [masked credential]'],
      ['api_key="zz9zz9"', 'api_key="[masked credential]"'],
      ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2ln', 'jwt [masked credential]'],
      ['here: -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA', 'here: [masked credential]'],
      ['DB_PASSWORD=correcthorsebattery and GITHUB_TOKEN=abc123def456ghi', 'DB_PASSWORD=[masked credential] and GITHUB_TOKEN=[masked credential]'],
      ['AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG', 'AWS_SECRET_ACCESS_KEY=[masked credential]'],
    ];
    for (const [text, expected] of masked) expect(maskCredentials(text), text).toBe(expected);
    for (const prose of ['the password reset page', 'password requirements apply', 'use sk-learn models', 'a token is a word', 'token-based authentication', 'tokens: counted']) expect(maskCredentials(prose), prose).toBe(prose);
    expect(maskCredentials('password [masked credential] x')).toBe('password [masked credential] x');
  });

  it('reads a megabyte of near-credentials in linear time (a JWT tried inside a run of its characters read the run each time: 256 KB took 19 s)', async () => {
    // In a process of its own, killed after 20 s: a regex cannot be interrupted in this one.
    const secrets = path.join(packageRoot(), 'dist', 'src', 'security', 'secrets.js');
    const script = `const { maskCredentials } = await import(${JSON.stringify(secrets)});
const n = 1 << 20;
for (const unit of ['eyJ-', 'eyJaaaaaaaa.', 'sk-', 'password ', 'token=', 'bearer ', 'glpat-', 'DB_PASSWORD: ']) maskCredentials(unit.repeat(n / unit.length));
console.log('done');`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
    expect(stdout.trim()).toBe('done');
  });
});
