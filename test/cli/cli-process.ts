/**
 * Drives the built `aosiq` CLI the way a user does: a separate node process in a folder of its
 * own, with nothing of the caller's AOS_* environment leaking in.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exampleConfig } from '../../src/config/index.js';
import { ERROR_CODES, type ErrorCode } from '../../src/errors.js';

/** The installed entry point, as `npm link` would run it. */
export const cliPath = fileURLToPath(new URL('../../bin/aosiq.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const created: string[] = [];

/**
 * Runs `aosiq ...args` in `cwd` and resolves with its exit code and output; never rejects on a
 * non-zero exit, because the exit code is what the tests check.
 *
 * @example
 * const { code, stdout } = await runCli(dir, ['approvals', 'list', '--json']);
 */
export function runCli(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AOS_')),
  );
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [cliPath, ...args],
      { cwd, env: { ...inherited, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`aosiq ${args.join(' ')} did not exit normally: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * The exit code the CLI documents for an error code, so tests read as the user's contract.
 *
 * @example
 * expect(result.code).toBe(exitCodeOf('APPROVAL_REQUIRED')); // 20
 */
export function exitCodeOf(code: ErrorCode): number {
  return ERROR_CODES[code];
}

/**
 * A fresh empty folder, removed by `removeTempDirs`.
 *
 * @example
 * const dir = makeTempDir();
 */
export function makeTempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-cli-'));
  created.push(dir);
  return dir;
}

/**
 * A fresh folder holding the example aosiq.yaml and its workspace/, as `aosiq init` leaves it,
 * without paying for a CLI run.
 *
 * @example
 * const dir = makeConfiguredDir();
 */
export function makeConfiguredDir(): string {
  const dir = makeTempDir();
  fs.writeFileSync(path.join(dir, 'aosiq.yaml'), exampleConfig());
  fs.mkdirSync(path.join(dir, 'workspace', 'tmp'), { recursive: true });
  return dir;
}

/**
 * Deletes every folder made by this module; call it from afterAll.
 *
 * @example
 * afterAll(removeTempDirs);
 */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Parses a `--json` result, failing with the CLI's own output when it is not JSON.
 *
 * @example
 * const rows = parseJson<{ id: string }[]>(await runCli(dir, ['--json', 'approvals', 'list']));
 */
export function parseJson<T>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`expected JSON on stdout (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}
