import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { exitCodeOf, makeConfiguredDir, makeTempDir, removeTempDirs, runCli } from './cli-process.js';

afterAll(removeTempDirs);

// Each test has a folder of its own, so they run at the same time.
describe.concurrent('a bad or missing aosiq.yaml', () => {
  it('points at the line, column and field of an invalid value, for every command', async ({ expect }) => {
    const dir = makeConfiguredDir();
    const file = path.join(dir, 'aosiq.yaml');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const index = lines.findIndex((line) => /^ {4}kind: job$/.test(line));
    expect(index).toBeGreaterThan(0);
    lines[index] = '    kind: robot';
    fs.writeFileSync(file, lines.join('\n'));
    const where = `aosiq.yaml:${index + 1}:11`;

    // Neither command gets as far as the data directory, so both run at once.
    const [human, json] = await Promise.all([runCli(dir, ['actors', 'list']), runCli(dir, ['--json', 'spawn', 'janitor'])]);
    expect(human.code, human.stderr).toBe(exitCodeOf('CONFIG_INVALID'));
    expect(human.stderr).toContain(`${where}: actor_classes.janitor.kind:`);
    expect(human.stderr).toContain('"robot"');

    expect(json.code, json.stderr).toBe(exitCodeOf('CONFIG_INVALID'));
    const { error } = JSON.parse(json.stderr) as { error: { code: string; details: { problems: string[] } } };
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.details.problems).toEqual([
      expect.stringContaining(`${where}: actor_classes.janitor.kind:`),
    ]);
    // Nothing was touched: a bad file stops the command before the data directory is created.
    expect(fs.existsSync(path.join(dir, '.aosiq'))).toBe(false);
  });

  it('suggests aosiq init when there is no configuration file', async ({ expect }) => {
    const dir = makeTempDir();
    const result = await runCli(dir, ['actors', 'list']);
    expect(result.code, result.stderr).toBe(exitCodeOf('CONFIG_INVALID'));
    expect(result.stderr).toContain(path.join(dir, 'aosiq.yaml'));
    expect(result.stderr).toContain('aosiq init');
  });

  it('will not overwrite an existing aosiq.yaml without --force', async ({ expect }) => {
    const dir = makeTempDir();
    const file = path.join(dir, 'aosiq.yaml');
    const first = await runCli(dir, ['init']);
    expect(first.code, first.stderr).toBe(0);
    expect(fs.statSync(path.join(dir, 'workspace')).isDirectory()).toBe(true);
    fs.appendFileSync(file, '# my edit\n');

    const second = await runCli(dir, ['init']);
    expect(second.code, second.stderr).toBe(exitCodeOf('CONFLICT'));
    expect(second.stderr).toContain('already exists');
    expect(second.stderr).toContain('--force');
    expect(fs.readFileSync(file, 'utf8')).toContain('# my edit');
  });
});
