/**
 * Drives the built `aosiq` CLI the way a user does: a separate node process in a folder of its
 * own, with nothing of the caller's AOS_* environment leaking in.
 *
 * Each run costs seconds (Node start, module loading, the embedded database), so tests run
 * independent runs at once, in folders of their own: one process at a time may open a folder's
 * data directory (it is locked), and `copyTempDir` gives a second process the same store.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exampleConfig } from '../../src/config/index.js';
import { ERROR_CODES, type ErrorCode } from '../../src/errors.js';

/** The installed entry point, as `npm link` would run it. */
export const cliPath = fileURLToPath(new URL('../../bin/aosiq.js', import.meta.url));

/**
 * Node options for every CLI process the tests start. `--liftoff-only` runs the embedded
 * database's WebAssembly with V8's baseline compiler only: a run is over before the optimising
 * compiler would pay off, so this saves a quarter to a third of each run's CPU. It changes how fast
 * the code is compiled, never what it does. Left out where this Node does not know the flag.
 */
export const nodeFlags: readonly string[] =
  spawnSync(process.execPath, ['--liftoff-only', '-e', ''], { stdio: 'ignore' }).status === 0 ? ['--liftoff-only'] : [];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const created: string[] = [];

/**
 * At most this many CLI processes run at once, the rest wait their turn: each is CPU-bound for
 * seconds and holds ~400 MB with the embedded database, and vitest already runs a test file per
 * core but one. Three keep two cores busy through each process's waits without starving them
 * (or the 60 s timeout, which starts only when the process does).
 */
const MAX_RUNNING = 3;
let running = 0;
const waiting: (() => void)[] = [];

async function takeTurn(): Promise<void> {
  if (running < MAX_RUNNING) {
    running++;
    return;
  }
  // The finishing run hands its place over, so `running` stays the same.
  await new Promise<void>((resolve) => waiting.push(resolve));
}

function endTurn(): void {
  const next = waiting.shift();
  if (next) next();
  else running--;
}

/**
 * Runs `aosiq ...args` in `cwd` and resolves with its exit code and output; never rejects on a
 * non-zero exit, because the exit code is what the tests check.
 *
 * @example
 * const { code, stdout } = await runCli(dir, ['approvals', 'list', '--json']);
 */
export async function runCli(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  await takeTurn();
  try {
    return await runProcess(cwd, args, env);
  } finally {
    endTurn();
  }
}

function runProcess(cwd: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AOS_')),
  );
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...nodeFlags, cliPath, ...args],
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
 * A fresh folder holding a copy of `dir`: its aosiq.yaml, workspace, anchors and data directory,
 * with the store as the last finished run left it. Reads of one state can then run at once,
 * each in its own copy (each copy has its own lock). Call it only while no run uses `dir`.
 *
 * @example
 * const twin = copyTempDir(dir);
 * const [text, json] = await Promise.all([runCli(dir, ['keys', 'api', 'list']), runCli(twin, ['--json', 'keys', 'api', 'list'])]);
 */
export function copyTempDir(dir: string): string {
  const copy = makeTempDir();
  fs.cpSync(dir, copy, { recursive: true });
  return copy;
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
