import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { exitCodeOf, makeConfiguredDir, parseJson, removeTempDirs, runCli } from './cli-process.js';

// Each test (and each case of one) has a folder of its own, so they run at the same time.
describe.concurrent('aosiq option files and values', () => {
  afterAll(removeTempDirs);

  it('makes an existing token file private, and refuses an unwritable one before spawning anything', async ({ expect }) => {
    const dir = makeConfiguredDir();
    const existing = path.join(dir, 'open.tok');
    fs.writeFileSync(existing, 'old');
    fs.chmodSync(existing, 0o644);
    const spawned = await runCli(dir, ['spawn', 'reviewer', '--token-out', 'open.tok']);
    expect(spawned.code, spawned.stderr).toBe(0);
    expect(fs.statSync(existing).mode & 0o777).toBe(0o600);

    const nowhere = await runCli(dir, ['spawn', 'reviewer', '--token-out', 'no/such/folder/t.tok']);
    expect(nowhere.code).toBe(exitCodeOf('INVALID_INPUT'));
    expect(nowhere.stderr).toContain('--token-out');
    const actors = parseJson<unknown[]>(await runCli(dir, ['actors', 'list', '--json']));
    expect(actors).toHaveLength(1);
  }, 120_000);

  it('names the option of a file that cannot be read, without a stack trace', async ({ expect }) => {
    const options = ['--token-file', '--args-file'];
    const results = await Promise.all(
      options.map((option) => {
        const args =
          option === '--token-file' ? [option, 'missing.tok'] : [option, 'missing.json', '--token', 'x'];
        return runCli(makeConfiguredDir(), ['call', 'fs.read', ...args]);
      }),
    );
    options.forEach((option, index) => {
      const result = results[index]!;
      expect(result.code).toBe(exitCodeOf('INVALID_INPUT'));
      expect(result.stderr).toContain(`${option}: cannot read missing`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });
  });

  it('refuses an unknown approval status and says which exist', async ({ expect }) => {
    const result = await runCli(makeConfiguredDir(), ['approvals', 'list', '--status', 'bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/pending, approved, denied, consumed/);
  });

  it('tells a mistyped session from a broken chain', async ({ expect }) => {
    const result = await runCli(makeConfiguredDir(), ['audit', 'verify', '--session', 'ses_typo']);
    expect(result.code).toBe(exitCodeOf('NOT_FOUND'));
    expect(result.stderr).toContain('no audit events for session ses_typo');
  }, 120_000);
});
