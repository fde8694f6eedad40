import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeOf, makeConfiguredDir, parseJson, removeTempDirs, runCli } from './cli-process.js';

const listWorkspace = ['call', 'fs.list', '--args', '{"path":"."}'];

describe('aosiq call, when the call cannot go through', () => {
  let dir = '';
  beforeAll(() => {
    dir = makeConfiguredDir();
  });
  afterAll(removeTempDirs);

  it('asks for a token and says how to pass one', async () => {
    const result = await runCli(dir, ['call', 'fs.read', '--args', '{"path":"a.txt"}']);
    expect(result.code, result.stderr).toBe(exitCodeOf('INVALID_INPUT'));
    expect(result.stderr).toContain('--token-file');
    expect(result.stderr).toContain('AOS_TOKEN');
  });

  it('rejects a token that is not a capability token', async () => {
    const result = await runCli(dir, [...listWorkspace, '--token', 'garbage']);
    expect(result.code, result.stderr).toBe(exitCodeOf('INVALID_TOKEN'));
    expect(result.stderr).toContain('INVALID_TOKEN');
    expect(result.stdout).toBe('');
  });

  it('rejects arguments with a duplicate key, naming the key', async () => {
    const result = await runCli(dir, ['call', 'fs.read', '--token', 'unused', '--args', '{"a":1,"a":2}']);
    expect(result.code, result.stderr).toBe(exitCodeOf('INVALID_INPUT'));
    expect(result.stderr).toContain('duplicate object key "a"');
  });

  it('suggests the nearest tool for a misspelt name, and stops a killed actor at once', async () => {
    const spawned = await runCli(dir, ['spawn', 'reviewer', '--json', '--token-out', 'r.tok']);
    expect(spawned.code, spawned.stderr).toBe(0);
    const { actorId } = parseJson<{ actorId: string }>(spawned);
    const withToken = ['--token-file', 'r.tok'];

    const listed = await runCli(dir, [...listWorkspace, ...withToken]);
    expect(listed.stderr).toBe('');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('"path": "tmp"');

    const misspelt = await runCli(dir, ['call', 'fs.raed', ...withToken]);
    expect(misspelt.code, misspelt.stderr).toBe(exitCodeOf('UNKNOWN_TOOL'));
    expect(misspelt.stderr).toContain('no tool named "fs.raed"');
    expect(misspelt.stderr).toContain('did you mean "fs.read"');

    const killed = await runCli(dir, ['actors', 'kill', actorId, '--reason', 'r']);
    expect(killed.code, killed.stderr).toBe(0);
    expect(killed.stdout).toContain(`killed ${actorId}`);

    const afterKill = await runCli(dir, [...listWorkspace, ...withToken]);
    expect(afterKill.code, afterKill.stderr).toBe(exitCodeOf('ACTOR_NOT_ALIVE'));
    expect(afterKill.stderr).toContain(`actor ${actorId} is killed`);
    expect(afterKill.stdout).toBe('');
  }, 120_000);
});
