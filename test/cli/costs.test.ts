import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeOf, makeTempDir, parseJson, removeTempDirs, runCli } from './cli-process.js';

describe('aosiq costs', () => {
  let dir = '';
  beforeAll(() => {
    dir = makeTempDir();
  });
  afterAll(removeTempDirs);

  it('rolls up the demonstration tool calls, as a table and as JSON, and names a bad option', async () => {
    expect((await runCli(dir, ['start', '--no-serve'])).code).toBe(0);
    // One process at a time: the embedded database admits one.
    const table = await runCli(dir, ['costs']);
    const json = await runCli(dir, ['costs', '--by', 'model', '--class', 'janitor', '--json']);
    const badDate = await runCli(dir, ['costs', '--since', '2026-13-01']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^class\s+entries\s+usd\s+unpriced\s+estimated/);
    expect(table.stdout).toMatch(/janitor\s+\d+\s+0\.000000\s+0\s+0/);
    const rows = parseJson<{ key: string; entries: number; usd: string }[]>(json);
    expect(rows.map((row) => row.key)).toContain('tool:fs.list');
    expect(badDate.code).toBe(exitCodeOf('INVALID_INPUT'));
    expect(badDate.stderr).toContain('--since');
  }, 120_000);
});
