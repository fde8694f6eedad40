import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { copyTempDir, exitCodeOf, makeConfiguredDir, parseJson, removeTempDirs, runCli } from './cli-process.js';

interface Created {
  key: string;
  id: string;
  name: string;
  scopes: Record<string, unknown>;
  expires_at: string | null;
}

interface Listed {
  id: string;
  name: string;
  state: string;
  expires_at: string | null;
  replaced_by: string | null;
  revoked_at: string | null;
}

/** The secret part of `aos_<16 hex id>_<secret>`. */
function secretOf(key: string): string {
  return key.slice('aos_0123456789abcdef_'.length);
}

let template: Promise<string> | undefined;

/**
 * A configured folder whose store one run has created, holding no key yet. Creating a store costs
 * a run twice what opening one does, so the tests that need one start from a copy of this.
 */
function storeTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = makeConfiguredDir();
    const listed = await runCli(dir, ['--json', 'keys', 'api', 'list']);
    const keys = parseJson<Listed[]>(listed);
    if (listed.code !== 0 || keys.length !== 0) throw new Error(`a new store should list no keys (exit ${listed.code}):\n${listed.stdout}${listed.stderr}`);
    return dir;
  })();
  return template;
}

/** Names of the API keys stored in `dir`: none when no run there has created the store. */
async function storedKeyNames(dir: string): Promise<string[]> {
  if (!fs.existsSync(path.join(dir, '.aosiq', 'db'))) return [];
  return parseJson<Listed[]>(await runCli(dir, ['--json', 'keys', 'api', 'list'])).map((key) => key.name);
}

// Each test works in folders of its own, so the tests run at the same time.
describe.concurrent('aosiq keys api', () => {
  afterAll(removeTempDirs);

  it('creates, lists, rotates and revokes a key, showing each secret only once', async ({ expect }) => {
    const dir = copyTempDir(await storeTemplate());
    const grants = '[{"tool":"fs.read","constraints":{"path":[{"prefix":"docs/"}]}}]';
    const createdRun = await runCli(dir, [
      '--json',
      'keys',
      'api',
      'create',
      'ci-deployer',
      '--classes',
      'reviewer,janitor',
      '--grants',
      grants,
      '--audit',
      '--expires-in',
      '90d',
    ]);
    expect(createdRun.code, createdRun.stderr).toBe(0);
    const created = parseJson<Created>(createdRun);
    expect(created.key).toMatch(/^aos_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({
      name: 'ci-deployer',
      scopes: { spawn_classes: ['reviewer', 'janitor'], grants: JSON.parse(grants), approve: false, audit: true, admin: false },
    });
    const days = (Date.parse(created.expires_at!) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThan(90.1);

    // The two listings and the duplicate see the store as create left it, each in its own copy.
    const [jsonTwin, duplicateTwin] = [copyTempDir(dir), copyTempDir(dir)];
    const [listed, listedJson, duplicate] = await Promise.all([
      runCli(dir, ['keys', 'api', 'list']),
      runCli(jsonTwin, ['--json', 'keys', 'api', 'list']),
      runCli(duplicateTwin, ['keys', 'api', 'create', 'ci-deployer']),
    ]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^ci-deployer\\s+${created.id}\\s+current\\s+classes=reviewer,janitor grants=fs.read\\(constrained\\) flags=audit`, 'm'));
    expect(listed.stdout).toContain('last used never');
    expect(listed.stdout).not.toContain(secretOf(created.key));
    expect(listedJson.stdout).not.toContain(secretOf(created.key));
    expect(listedJson.stdout).not.toContain('secret');
    expect(parseJson<Listed[]>(listedJson)).toEqual([expect.objectContaining({ id: created.id, state: 'current', revoked_at: null })]);
    expect(duplicate.code).toBe(exitCodeOf('CONFLICT'));
    expect(duplicate.stderr).toContain('keys api rotate ci-deployer');

    const rotatedRun = await runCli(dir, ['keys', 'api', 'rotate', 'ci-deployer', '--overlap', '2h']);
    expect(rotatedRun.code, rotatedRun.stderr).toBe(0);
    const newKey = /^key: (aos_\S+)$/m.exec(rotatedRun.stdout)?.[1];
    expect(newKey).toBeDefined();
    expect(rotatedRun.stdout).toContain('cannot be shown again');
    expect(rotatedRun.stdout).toMatch(new RegExp(`old key ${created.id} keeps working until \\S+Z, then stops`));

    // The listings of the rotated keys read copies while the revocation changes the original.
    const [textTwin, rotatedJsonTwin] = [copyTempDir(dir), copyTempDir(dir)];
    const [afterRotation, rotatedJson, revoked] = await Promise.all([
      runCli(textTwin, ['keys', 'api', 'list']),
      runCli(rotatedJsonTwin, ['--json', 'keys', 'api', 'list']),
      runCli(dir, ['keys', 'api', 'revoke', 'ci-deployer']),
    ]);
    expect(afterRotation.stdout).toMatch(new RegExp(`^ci-deployer\\s+${created.id}\\s+rotating until \\S+Z`, 'm'));
    expect(afterRotation.stdout).toMatch(/^ci-deployer\s+[0-9a-f]{16}\s+current\s/m);
    for (const key of [created.key, newKey!]) expect(afterRotation.stdout).not.toContain(secretOf(key));
    const rotatedRows = parseJson<Listed[]>(rotatedJson);
    expect(rotatedRows.map((row) => row.state).sort()).toEqual(['current', 'rotating']);
    const old = rotatedRows.find((row) => row.id === created.id)!;
    const overlapHours = (Date.parse(old.expires_at!) - Date.now()) / 3_600_000;
    expect(overlapHours).toBeGreaterThan(1.9);
    expect(overlapHours).toBeLessThanOrEqual(2);

    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`revoked API key "ci-deployer" (id ${created.id})`);
    expect(revoked.stdout.trim().split('\n')).toHaveLength(2);

    const afterRevocation = await runCli(dir, ['keys', 'api', 'list']);
    const lines = afterRevocation.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^ci-deployer\s+[0-9a-f]{16}\s+revoked\s/);
  }, 240_000);

  it('writes a key to a private file instead of printing it', async ({ expect }) => {
    const dir = copyTempDir(await storeTemplate());
    const file = path.join(dir, 'dash.key');
    const result = await runCli(dir, ['keys', 'api', 'create', 'dashboard', '--classes', '*', '--approve', '--out', 'dash.key']);
    expect(result.code, result.stderr).toBe(0);
    const key = fs.readFileSync(file, 'utf8').trim();
    expect(key).toMatch(/^aos_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(result.stdout).not.toContain(secretOf(key));
    expect(result.stdout).toContain('key written to dash.key');
    expect(result.stdout).toContain('classes=* grants=- flags=approve');
  }, 120_000);

  it('refuses bad input with the error code and a message naming the field and value', async ({ expect }) => {
    // `store`: the refusal comes from the opened store (configured classes, stored keys), which
    // one process at a time may open, so those cases take turns in one copy of the store; the
    // others each run at once in a folder of their own. No folder may be left with a key "ok".
    const cases: { args: string[]; code: number; message: RegExp; store?: true }[] = [
      { args: ['create', 'Bad Name'], code: exitCodeOf('INVALID_INPUT'), message: /name: .*got "Bad Name"/ },
      { args: ['create', 'ok', '--expires-in', 'soon'], code: exitCodeOf('INVALID_INPUT'), message: /--expires-in: .*got "soon"/ },
      { args: ['create', 'ok', '--expires-in', '0d'], code: exitCodeOf('INVALID_INPUT'), message: /--expires-in: .*got "0d"/ },
      { args: ['create', 'ok', '--grants', '{"tool":'], code: exitCodeOf('INVALID_INPUT'), message: /--grants\S* .*line 1, column 9/ },
      { args: ['create', 'ok', '--grants', '{"tool":"fs.read"}'], code: exitCodeOf('INVALID_INPUT'), message: /--grants: expected a JSON array/ },
      { args: ['create', 'ok', '--grants', '[{"tool":""}]'], code: exitCodeOf('INVALID_INPUT'), message: /--grants\[0\] \(\{"tool":""\}\): tool: / },
      { args: ['create', 'ok', '--grants-file', 'missing.json'], code: exitCodeOf('INVALID_INPUT'), message: /--grants-file: cannot read missing\.json/ },
      { args: ['create', 'ok', '--classes', 'reviewr'], code: exitCodeOf('INVALID_INPUT'), message: /--classes: no actor class "reviewr".*reviewer/, store: true },
      { args: ['create', 'ok', '--out', 'no/such/dir/k.key'], code: exitCodeOf('INVALID_INPUT'), message: /--out: cannot write/ },
      { args: ['rotate', 'ok', '--overlap', '1 week'], code: exitCodeOf('INVALID_INPUT'), message: /--overlap: .*got "1 week"/ },
      { args: ['rotate', 'never-made'], code: exitCodeOf('NOT_FOUND'), message: /"never-made"/, store: true },
      { args: ['revoke', 'never-made'], code: exitCodeOf('NOT_FOUND'), message: /no live API key named or with id "never-made"/, store: true },
    ];
    const refuse = async ({ args, code, message }: (typeof cases)[number], dir: string) => {
      const result = await runCli(dir, ['keys', 'api', ...args]);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(code);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    };
    const folders = await Promise.all([
      (async () => {
        const shared = copyTempDir(await storeTemplate());
        for (const refusal of cases.filter((refusal) => refusal.store)) await refuse(refusal, shared);
        return shared;
      })(),
      ...cases
        .filter((refusal) => !refusal.store)
        .map(async (refusal) => {
          const own = makeConfiguredDir();
          await refuse(refusal, own);
          return own;
        }),
    ]);
    for (const names of await Promise.all(folders.map(storedKeyNames))) expect(names).not.toContain('ok');
  }, 240_000);

  it('shows an example in the help of each command', async ({ expect }) => {
    const dir = makeConfiguredDir();
    const commands = ['create', 'list', 'revoke', 'rotate'];
    const results = await Promise.all(commands.map((command) => runCli(dir, ['keys', 'api', command, '--help'])));
    commands.forEach((command, index) => {
      const result = results[index]!;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`Example:\\n\\s+\\$ aosiq .*keys api ${command}`));
    });
  }, 120_000);
});
