import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { type CliResult, copyTempDir, exitCodeOf, makeConfiguredDir, parseJson, removeTempDirs, runCli } from './cli-process.js';

interface SpawnJson {
  actorId: string;
  sessionId: string;
  token: string;
  grants: unknown[];
  dropped: { grant: unknown; reason: string }[];
  depth: number;
}

const dir = makeConfiguredDir();
let parent: Promise<{ result: CliResult; store: string }> | undefined;

/**
 * The first test's spawn, run once: its actor is the parent of the second test's. `store` is a
 * copy of the folder as that run left it, which the refusals copy rather than each creating a
 * store of their own, so they run alongside the second test.
 */
function spawnParent(): Promise<{ result: CliResult; store: string }> {
  parent ??= (async () => {
    const result = await runCli(dir, ['spawn', 'reviewer', '--json', '--token-out', 't.tok']);
    return { result, store: copyTempDir(dir) };
  })();
  return parent;
}

describe.concurrent('aosiq spawn', () => {
  afterAll(removeTempDirs);

  it('grants the whole class template by default and writes the token to a private file', async ({ expect }) => {
    const { result } = await spawnParent();
    expect(result.code, result.stderr).toBe(0);
    const spawned = parseJson<SpawnJson>(result);
    expect(spawned.grants).toEqual([{ tool: 'fs.read' }, { tool: 'fs.list' }, { tool: 'llm.ollama', constraints: { model: [{ prefix: 'llama3' }] } }]);
    expect(spawned.dropped).toEqual([]);
    expect(spawned.depth).toBe(0);
    expect(spawned.actorId).toMatch(/^act_/);
    const tokenFile = path.join(dir, 't.tok');
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = fs.readFileSync(tokenFile, 'utf8').trim();
    expect(token.split('.')).toHaveLength(3);
    // With --token-out the secret goes to the file only, never to stdout.
    expect(result.stdout).not.toContain(token);
  }, 120_000);

  it("gives a child only what both its class and its parent's token allow", async ({ expect }) => {
    const parentSession = parseJson<SpawnJson>((await spawnParent()).result).sessionId;
    const result = await runCli(dir, ['spawn', 'janitor', '--parent-token-file', 't.tok', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const child = parseJson<SpawnJson>(result);
    expect(child.depth).toBe(1);
    expect(child.sessionId).toBe(parentSession);
    expect(child.grants).toEqual([{ tool: 'fs.list' }]);
    expect(child.dropped).toEqual([
      {
        grant: { tool: 'fs.delete', constraints: { path: [{ prefix: 'tmp/' }] } },
        reason: expect.stringContaining('parent token has no grant covering fs.delete'),
      },
    ]);
  }, 120_000);

  it('refuses a grant outside the class template and says which template', async ({ expect }) => {
    const result = await runCli(copyTempDir((await spawnParent()).store), ['spawn', 'reviewer', '--grant', 'fs.delete']);
    expect(result.code, result.stderr).toBe(exitCodeOf('INSUFFICIENT_AUTHORITY'));
    expect(result.stderr).toContain('INSUFFICIENT_AUTHORITY');
    expect(result.stderr).toContain("class template 'reviewer' does not allow fs.delete");
    expect(result.stdout).toBe('');
  }, 120_000);

  it('names the known classes when the class does not exist', async ({ expect }) => {
    const result = await runCli(copyTempDir((await spawnParent()).store), ['spawn', 'nosuch']);
    expect(result.code, result.stderr).toBe(exitCodeOf('INVALID_INPUT'));
    expect(result.stderr).toContain('"nosuch"');
    expect(result.stderr).toContain('known classes: reviewer, janitor, deployer');
  }, 120_000);

  it('names --grants when its value is not JSON', async ({ expect }) => {
    const result = await runCli(copyTempDir((await spawnParent()).store), ['spawn', 'reviewer', '--grants', 'not json']);
    expect(result.code, result.stderr).toBe(exitCodeOf('INVALID_INPUT'));
    expect(result.stderr).toMatch(/INVALID_INPUT: --grants: not valid JSON/);
    expect(result.stderr).toContain('not json');
  }, 120_000);
});
