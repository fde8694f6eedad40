import { afterAll, describe, it } from 'vitest';
import { makeTempDir, parseJson, removeTempDirs, runCli } from './cli-process.js';

afterAll(removeTempDirs);

// Each test has a folder of its own, so they run at the same time.
describe.concurrent('aosiq --help', () => {
  it('lists every top-level command', async ({ expect }) => {
    const result = await runCli(makeTempDir(), ['--help']);
    expect(result.code, result.stderr).toBe(0);
    for (const command of [
      'init',
      'start',
      'spawn',
      'call',
      'actors',
      'approvals',
      'audit',
      'keys',
      'tools',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
  });

  it('lists the approvals subcommands', async ({ expect }) => {
    const result = await runCli(makeTempDir(), ['approvals', '--help']);
    expect(result.code, result.stderr).toBe(0);
    for (const command of ['list', 'show', 'approve', 'deny']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
  });
});

describe.concurrent('aosiq keys jwks', () => {
  it('publishes one Ed25519 public key, never the private part, and the same key each time', async ({ expect }) => {
    const dir = makeTempDir();
    const first = await runCli(dir, ['keys', 'jwks']);
    expect(first.code, first.stderr).toBe(0);
    const jwks = parseJson<{ keys: Record<string, unknown>[] }>(first);
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(key).toHaveProperty('kid');
    expect(key).toHaveProperty('x');
    expect(key).not.toHaveProperty('d');

    const second = await runCli(dir, ['keys', 'jwks']);
    expect(parseJson(second)).toEqual(jwks);
  });
});
