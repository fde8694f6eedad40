import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { exampleConfig } from '../../config/index.js';
import { AosError } from '../../errors.js';
import { globalOptions, type Run } from '../context.js';
import { emit, type Io } from '../output.js';

/**
 * Writes the commented example aosiq.yaml and the workspace folder it names. Refuses to
 * overwrite an existing file unless forced.
 *
 * @example
 * initConfig('/srv/aosiq/aosiq.yaml', { force: false });
 */
export function initConfig(
  configPath: string,
  options: { force: boolean },
): { config: string; workspace: string } {
  if (fs.existsSync(configPath) && !options.force) {
    throw new AosError('CONFLICT', `${configPath} already exists; pass --force to overwrite it`, {
      path: configPath,
    });
  }
  fs.mkdirSync(path.dirname(configPath), { recursive: true });
  fs.writeFileSync(configPath, exampleConfig());
  const workspace = path.join(path.dirname(configPath), 'workspace');
  fs.mkdirSync(path.join(workspace, 'tmp'), { recursive: true });
  return { config: configPath, workspace };
}

export function registerInit(program: Command, io: Io, run: Run): void {
  program
    .command('init')
    .description('write a commented example aosiq.yaml and a workspace/ folder beside it')
    .option('--force', 'overwrite an existing aosiq.yaml', false)
    .action(
      run(async (options: { force: boolean }, command: Command) => {
        const written = initConfig(globalOptions(command).config, options);
        emit(io, globalOptions(command).json, written, [
          `wrote ${written.config}`,
          `created ${written.workspace}/ (the example's file root)`,
          'next: aosiq start',
        ]);
      }),
    );
}
