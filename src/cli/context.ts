import path from 'node:path';
import type { Command } from 'commander';
import { openRuntime, type Runtime } from '../runtime.js';

export interface GlobalOptions {
  config: string;
  dataDir: string;
  json?: boolean;
}

/** The options every command shares, with environment defaults applied. */
export function globalOptions(command: Command): GlobalOptions {
  const options = command.optsWithGlobals<GlobalOptions>();
  return { ...options, config: path.resolve(options.config), dataDir: path.resolve(options.dataDir) };
}

/** The runtime the global options name (AOS_DATABASE_URL selects PostgreSQL). */
export function openCliRuntime(options: GlobalOptions): Promise<Runtime> {
  return openRuntime({ configPath: options.config, dataDir: options.dataDir, databaseUrl: process.env.AOS_DATABASE_URL || undefined });
}

/**
 * Opens the runtime for one command and always closes it (releasing the data directory lock).
 *
 * @example
 * await withRuntime(command, (runtime) => runtime.syscall.kill(id, who, why));
 */
export async function withRuntime<T>(
  command: Command,
  fn: (runtime: Runtime, options: GlobalOptions) => Promise<T>,
): Promise<T> {
  const options = globalOptions(command);
  const runtime = await openCliRuntime(options);
  try {
    return await fn(runtime, options);
  } finally {
    // Whatever the command did is on the chain; put it in the log and anchor it when due.
    await runtime
      .seal()
      .then(() => {
        const { failures, lastError } = runtime.anchors;
        if (failures > 0) process.stderr.write(`aosiq: warning: anchoring a checkpoint failed: ${lastError}\n`);
      })
      .catch((error: Error) => process.stderr.write(`aosiq: warning: the audit log could not be sealed: ${error.message}\n`));
    await runtime.close();
  }
}

/** Wraps a command's action so errors and exit codes are handled in one place (main). */
export type Run = <A extends unknown[]>(fn: (...args: A) => Promise<void>) => (...args: A) => Promise<void>;
