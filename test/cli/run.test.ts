/**
 * `aosiq run`, `aosiq workflows`, `aosiq actors renew` and the class kill switch, as a user runs
 * them: real processes over the example configuration.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { copyTempDir, exitCodeOf, makeConfiguredDir, parseJson, removeTempDirs, runCli } from './cli-process.js';

describe.concurrent('aosiq run and the scheduler commands', () => {
  afterAll(removeTempDirs);

  it('runs the example workflow here, printing its steps, and names bad inputs and unknown names', async ({ expect }) => {
    const dir = makeConfiguredDir();
    fs.writeFileSync(path.join(dir, 'workspace', 'tmp', 'old.log'), 'x');
    const twin = copyTempDir(dir);
    const [ran, detached, badInput, unknown, taskless] = await Promise.all([
      runCli(dir, ['run', 'workspace-inventory', '--input', 'folder=.']),
      runCli(twin, ['--json', 'run', 'workspace-inventory', '--detach']),
      runCli(copyTempDir(dir), ['run', 'workspace-inventory', '--input', 'colour=red']),
      runCli(copyTempDir(dir), ['run', 'nope']),
      runCli(copyTempDir(dir), ['run', 'triage']),
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toMatch(/running workspace-inventory as act_/);
    expect(ran.stderr).toMatch(/fs\.list: ok \(\d+ ms\)\n {2}fs\.list: ok/);
    expect(ran.stdout).toContain('workspace-inventory: completed');
    expect(ran.stdout).toContain('"path": "tmp/old.log"');
    expect(detached.code, detached.stderr).toBe(0);
    expect(parseJson<{ state: string }>(detached).state).toBe('runnable');
    expect(badInput.code).toBe(exitCodeOf('INVALID_INPUT'));
    expect(badInput.stderr).toContain('inputs.colour: workflow workspace-inventory has no input "colour"');
    expect(unknown.code).toBe(exitCodeOf('NOT_FOUND'));
    expect(unknown.stderr).toContain('workflows: workspace-inventory');
    expect(taskless.code).toBe(exitCodeOf('INVALID_INPUT'));
    expect(taskless.stderr).toContain('--task: agent triage needs a task');

    // The detached run waits for a worker; `aosiq workflows` shows what is configured.
    const listed = await runCli(twin, ['workflows']);
    expect(listed.stdout).toContain('workspace-inventory  class janitor  cron "0 * * * *"  steps: top: fs.list, tmp: fs.list');
  }, 120_000);

  it('reports the agent as unreachable with the backend it tried, and fails the run with the reason', async ({ expect }) => {
    const dir = makeConfiguredDir();
    // Nothing listens on port 2 here: the model call fails fast and the run ends failed.
    fs.writeFileSync(path.join(dir, 'aosiq.yaml'), fs.readFileSync(path.join(dir, 'aosiq.yaml'), 'utf8').replace('http://127.0.0.1:11434', 'http://127.0.0.1:2'));
    const result = await runCli(dir, ['run', 'triage', '--task', 'What is in the workspace?']);
    expect(result.code).toBe(exitCodeOf('RUN_FAILED'));
    expect(result.stdout).toContain('triage: failed');
    expect(result.stderr).toMatch(/ended failed: model call refused or failed: LLM_BACKEND_FAILED: .+ \(its record: aosiq audit log --session ses_/);
    const log = await runCli(dir, ['--json', 'audit', 'log', '--type', 'STATE_TRANSITION']);
    const reasons = parseJson<{ payload: { to: string; reason: string } }[]>(log).filter((event) => event.payload.to === 'failed');
    expect(reasons[0]!.payload.reason).toContain('LLM_BACKEND_FAILED');
  }, 120_000);

  it('renews an actor\'s token and kills a whole class', async ({ expect }) => {
    const dir = makeConfiguredDir();
    const spawned = parseJson<{ actorId: string }>(await runCli(dir, ['--json', 'spawn', 'reviewer', '--token-out', 'old.tok']));
    const renewed = await runCli(dir, ['actors', 'renew', spawned.actorId, '--reason', 'long review', '--token-out', 'new.tok']);
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(renewed.stdout).toMatch(new RegExp(`renewed ${spawned.actorId}: runnable, token expires`));
    expect(fs.readFileSync(path.join(dir, 'new.tok'), 'utf8')).not.toBe(fs.readFileSync(path.join(dir, 'old.tok'), 'utf8'));
    const [oldCall, newCall] = [
      await runCli(dir, ['call', 'fs.list', '--args', '{"path":"."}', '--token-file', 'old.tok']),
      await runCli(dir, ['call', 'fs.list', '--args', '{"path":"."}', '--token-file', 'new.tok']),
    ];
    expect(oldCall.code).toBe(exitCodeOf('ACTOR_NOT_ALIVE'));
    expect(newCall.code, newCall.stderr).toBe(0);

    const both = await runCli(dir, ['actors', 'kill', spawned.actorId, '--class', 'reviewer', '--reason', 'x']);
    expect(both.code).toBe(exitCodeOf('INVALID_INPUT'));
    const killed = await runCli(dir, ['actors', 'kill', '--class', 'reviewer', '--reason', 'incident']);
    expect(killed.code, killed.stderr).toBe(0);
    expect(killed.stdout).toBe(`killed ${spawned.actorId}\n`);
    const again = await runCli(dir, ['actors', 'kill', '--class', 'reviewer', '--reason', 'incident']);
    expect(again.stderr).toContain('no live actor matched');
  }, 180_000);
});
