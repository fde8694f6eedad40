import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath, makeTempDir, removeTempDirs, runCli } from './cli-process.js';

afterAll(removeTempDirs);

describe('aosiq start in an empty folder', () => {
  it('sets everything up, demonstrates each guard, and finds the schema current the second time', async () => {
    const dir = makeTempDir();

    const first = await runCli(dir, ['start']);
    expect(first.stderr).toBe('');
    expect(first.code, first.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, 'aosiq.yaml'))).toBe(true);
    expect(fs.statSync(path.join(dir, 'workspace')).isDirectory()).toBe(true);
    expect(first.stdout).toMatch(/^wrote the example configuration .*aosiq\.yaml/m);
    expect(first.stdout).toMatch(/\(pglite\), applied migrations .*\b001_kernel\b/);
    expect(first.stdout).toMatch(/fs\.list tmp\s+→ allowed, recorded as ses_\w+:\d+/);
    const denials = first.stdout.match(/→ CAPABILITY_DENIED: /g) ?? [];
    expect(denials).toHaveLength(2);
    expect(first.stdout).toMatch(/fs\.delete notes\/keep\.txt\s+→ CAPABILITY_DENIED: .*prefix "tmp\/"/);
    expect(first.stdout).toMatch(/fs\.read tmp\/stale\.log\s+→ CAPABILITY_DENIED: /);
    expect(first.stdout).toMatch(
      /fs\.delete tmp\/stale\.log\s+→ APPROVAL_REQUIRED: approval apr_\w+ is pending/,
    );
    // The printed next step names the approval just created, runnable as printed from this folder.
    const approvalId = /approval (apr_\w+) is pending/.exec(first.stdout)?.[1];
    const nextStep = new RegExp(`^  node (\\S+) approvals approve ${approvalId} `, 'm').exec(first.stdout);
    expect(nextStep, first.stdout).not.toBeNull();
    expect(path.resolve(dir, nextStep?.[1] ?? '')).toBe(cliPath);
    expect(first.stdout).toMatch(/audit log: every step above is in a signed checkpoint of \d+ events, anchored in /);
    expect(fs.readdirSync(path.join(dir, '.aosiq-anchors'))).toHaveLength(1);
    const tokenFile = path.join(dir, '.aosiq', 'janitor.token');
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, 'workspace', 'tmp', 'stale.log'), 'utf8')).not.toBe('');

    const second = await runCli(dir, ['start']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('(pglite), schema up to date');
    expect(second.stdout).not.toContain('applied migrations');
    expect(second.stdout).not.toContain('wrote the example configuration');
    // The demonstration does not pile up a second janitor and a second stuck approval.
    expect(second.stdout).toContain('the demonstration ran before');
    expect(second.stdout).toContain('pending approvals: 1');
  }, 90_000);
});
