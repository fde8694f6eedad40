import { afterAll, describe, it } from 'vitest';
import { copyTempDir, exitCodeOf, makeConfiguredDir, parseJson, removeTempDirs, runCli } from './cli-process.js';

const listWorkspace = ['call', 'fs.list', '--args', '{"path":"."}'];

// Each test has a folder of its own, so they run at the same time.
describe.concurrent('aosiq call, when the call cannot go through', () => {
  afterAll(removeTempDirs);

  it('asks for a token and says how to pass one', async ({ expect }) => {
    const result = await runCli(makeConfiguredDir(), ['call', 'fs.read', '--args', '{"path":"a.txt"}']);
    expect(result.code, result.stderr).toBe(exitCodeOf('INVALID_INPUT'));
    expect(result.stderr).toContain('--token-file');
    expect(result.stderr).toContain('AOS_TOKEN');
  });

  it('rejects a token that is not a capability token', async ({ expect }) => {
    const result = await runCli(makeConfiguredDir(), [...listWorkspace, '--token', 'garbage']);
    expect(result.code, result.stderr).toBe(exitCodeOf('INVALID_TOKEN'));
    expect(result.stderr).toContain('INVALID_TOKEN');
    expect(result.stdout).toBe('');
  }, 120_000);

  it('rejects arguments with a duplicate key, naming the key', async ({ expect }) => {
    const result = await runCli(makeConfiguredDir(), ['call', 'fs.read', '--token', 'unused', '--args', '{"a":1,"a":2}']);
    expect(result.code, result.stderr).toBe(exitCodeOf('INVALID_INPUT'));
    expect(result.stderr).toContain('duplicate object key "a"');
  });

  it('suggests the nearest tool for a misspelt name, and stops a killed actor at once', async ({ expect }) => {
    const dir = makeConfiguredDir();
    const spawned = await runCli(dir, ['spawn', 'reviewer', '--json', '--token-out', 'r.tok']);
    expect(spawned.code, spawned.stderr).toBe(0);
    const { actorId } = parseJson<{ actorId: string }>(spawned);
    const withToken = ['--token-file', 'r.tok'];

    // The two calls of the live actor run in copies of the folder while the original kills it.
    const [listTwin, misspeltTwin] = [copyTempDir(dir), copyTempDir(dir)];
    const [listed, misspelt, killed] = await Promise.all([
      runCli(listTwin, [...listWorkspace, ...withToken]),
      runCli(misspeltTwin, ['call', 'fs.raed', ...withToken]),
      runCli(dir, ['actors', 'kill', actorId, '--reason', 'r']),
    ]);
    expect(listed.stderr).toBe('');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('"path": "tmp"');

    expect(misspelt.code, misspelt.stderr).toBe(exitCodeOf('UNKNOWN_TOOL'));
    expect(misspelt.stderr).toContain('no tool named "fs.raed"');
    expect(misspelt.stderr).toContain('did you mean "fs.read"');

    expect(killed.code, killed.stderr).toBe(0);
    expect(killed.stdout).toContain(`killed ${actorId}`);

    const afterKill = await runCli(dir, [...listWorkspace, ...withToken]);
    expect(afterKill.code, afterKill.stderr).toBe(exitCodeOf('ACTOR_NOT_ALIVE'));
    expect(afterKill.stderr).toContain(`actor ${actorId} is killed`);
    expect(afterKill.stdout).toBe('');
  }, 120_000);
});
