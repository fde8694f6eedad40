import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodeOf, makeTempDir, parseJson, removeTempDirs, runCli } from './cli-process.js';

afterAll(removeTempDirs);

interface ApprovalJson {
  id: string;
}

describe('approving an irreversible call from the command line', () => {
  it('runs the approved call exactly once, and only after the approval', async () => {
    const dir = makeTempDir();
    const started = await runCli(dir, ['start', '--no-serve']);
    expect(started.code, started.stderr).toBe(0);
    const staleLog = path.join(dir, 'workspace', 'tmp', 'stale.log');
    const deleteStaleLog = [
      'call',
      'fs.delete',
      '--args',
      '{"path":"tmp/stale.log"}',
      '--token-file',
      '.aosiq/janitor.token',
    ];

    const pending = parseJson<ApprovalJson[]>(await runCli(dir, ['approvals', 'list', '--json']));
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({
      tool: 'fs.delete',
      status: 'pending',
      args: { path: 'tmp/stale.log' },
      blast_radius: 'high',
    });
    const id = pending[0]?.id ?? '';

    const shown = await runCli(dir, ['approvals', 'show', id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^tool\s+fs\.delete$/m);
    expect(shown.stdout).toMatch(/^blast\s+high: deletes a file permanently$/m);
    expect(shown.stdout).toContain('"path": "tmp/stale.log"');

    const early = await runCli(dir, deleteStaleLog);
    expect(early.code, early.stderr).toBe(exitCodeOf('APPROVAL_REQUIRED'));
    expect(early.stderr).toContain(`approval ${id} is pending`);
    expect(fs.existsSync(staleLog)).toBe(true);

    const approved = await runCli(dir, ['approvals', 'approve', id, '--as', 'alice', '--reason', 'x']);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`${id} approved by alice`);

    const retry = await runCli(dir, deleteStaleLog);
    expect(retry.stderr).toBe('');
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toContain(`approval ${id} consumed`);
    expect(fs.existsSync(staleLog)).toBe(false);

    // The approval was for one execution: the same call again needs a new approval.
    const again = await runCli(dir, deleteStaleLog);
    expect(again.code, again.stderr).toBe(exitCodeOf('APPROVAL_REQUIRED'));
    expect(again.stderr).toMatch(/approval apr_\w+ is pending/);
    expect(again.stderr).not.toContain(id);

    const decidedTwice = await runCli(dir, ['approvals', 'approve', id]);
    expect(decidedTwice.code, decidedTwice.stderr).toBe(exitCodeOf('APPROVAL_NOT_PENDING'));
    expect(decidedTwice.stderr).toContain(`APPROVAL_NOT_PENDING: approval ${id} is already consumed`);
  }, 180_000);
});
