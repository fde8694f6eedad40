import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cliPath, makeTempDir, nodeFlags, removeTempDirs, runCli } from './cli-process.js';

const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AOS_')));

afterAll(removeTempDirs);

// The two tests start from empty folders of their own, so they run at the same time.
describe.concurrent('aosiq start in an empty folder', () => {
  it('sets everything up, demonstrates each guard, and finds the schema current the second time', async ({ expect }) => {
    const dir = makeTempDir();

    const first = await runCli(dir, ['start', '--no-serve']);
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
    expect(first.stdout).toMatch(/created the API key local-admin \(every scope\) in .*admin\.key/);
    expect(fs.statSync(path.join(dir, '.aosiq', 'admin.key')).mode & 0o777).toBe(0o600);
    const tokenFile = path.join(dir, '.aosiq', 'janitor.token');
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, 'workspace', 'tmp', 'stale.log'), 'utf8')).not.toBe('');

    const second = await runCli(dir, ['start', '--no-serve']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('(pglite), schema up to date');
    expect(second.stdout).not.toContain('applied migrations');
    expect(second.stdout).not.toContain('wrote the example configuration');
    // The demonstration does not pile up a second janitor and a second stuck approval.
    expect(second.stdout).toContain('the demonstration ran before');
    expect(second.stdout).toContain('pending approvals: 1');
    expect(second.stdout).not.toContain('created the API key');
  }, 120_000);

  it('then serves the API: the demonstration\'s approval can be granted and run over HTTP with the keys it wrote', async ({ expect }) => {
    const dir = makeTempDir();
    const child = spawn(process.execPath, [...nodeFlags, cliPath, 'start', '--port', '0', '--log-level', 'warn'], { cwd: dir, env: cleanEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      // Up to 80 s: the other test's runs share the cores while this one sets up the folder.
      for (let i = 0; i < 800 && child.exitCode === null && !/serving the API on (\S+)/.test(stderr); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const base = /serving the API on (\S+)/.exec(stderr)?.[1];
      expect(base, `${stdout}\n${stderr}`).toBeDefined();
      expect(stdout).toMatch(/next steps, once the API below is up:/);
      const approvalId = /approval (apr_\w+) is pending/.exec(stdout)![1]!;
      const admin = fs.readFileSync(path.join(dir, '.aosiq', 'admin.key'), 'utf8').trim();
      const token = fs.readFileSync(path.join(dir, '.aosiq', 'janitor.token'), 'utf8').trim();
      const post = (url: string, bearer: string, body: unknown) =>
        fetch(`${base}${url}`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await post(`/api/v1/approvals/${approvalId}/approve`, admin, { reason: 'stale log' })).status).toBe(200);
      const ran = await post('/api/v1/calls', token, { tool: 'fs.delete', args: { path: 'tmp/stale.log' } });
      expect(ran.status).toBe(200);
      expect(fs.existsSync(path.join(dir, 'workspace', 'tmp', 'stale.log'))).toBe(false);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGTERM: finishing in-flight requests, sealing the audit log');
  }, 120_000);
});
