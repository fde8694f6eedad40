import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyTempDir, exitCodeOf, makeTempDir, parseJson, removeTempDirs, runCli } from './cli-process.js';

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

    // start names the approval it left pending; listing and showing it read copies of the folder
    // while the early call runs in the original.
    const id = /approval (apr_\w+) is pending/.exec(started.stdout)?.[1] ?? '';
    const [listTwin, showTwin] = [copyTempDir(dir), copyTempDir(dir)];
    const [listed, shown, early] = await Promise.all([
      runCli(listTwin, ['approvals', 'list', '--json']),
      runCli(showTwin, ['approvals', 'show', id]),
      runCli(dir, deleteStaleLog),
    ]);
    const pending = parseJson<ApprovalJson[]>(listed);
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({
      id,
      tool: 'fs.delete',
      status: 'pending',
      args: { path: 'tmp/stale.log' },
      blast_radius: 'high',
    });

    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^tool\s+fs\.delete$/m);
    expect(shown.stdout).toMatch(/^blast\s+high: deletes a file permanently$/m);
    expect(shown.stdout).toContain('"path": "tmp/stale.log"');

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

    // The approval was for one execution: the same call again needs a new approval. Deciding the
    // consumed approval again is tried at the same time, in a copy of the folder.
    const decideTwin = copyTempDir(dir);
    const [again, decidedTwice] = await Promise.all([runCli(dir, deleteStaleLog), runCli(decideTwin, ['approvals', 'approve', id])]);
    expect(again.code, again.stderr).toBe(exitCodeOf('APPROVAL_REQUIRED'));
    expect(again.stderr).toMatch(/approval apr_\w+ is pending/);
    expect(again.stderr).not.toContain(id);

    expect(decidedTwice.code, decidedTwice.stderr).toBe(exitCodeOf('APPROVAL_NOT_PENDING'));
    expect(decidedTwice.stderr).toContain(`APPROVAL_NOT_PENDING: approval ${id} is already consumed`);
  }, 180_000);
});
