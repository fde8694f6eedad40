import fs from 'node:fs';
import path from 'node:path';
import { AosError } from '../errors.js';

/**
 * Reads a file named by a command-line option, or INVALID_INPUT naming the option and file.
 *
 * @example
 * const token = readOptionFile('--token-file', 'agent.tok').trim();
 */
export function readOptionFile(option: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new AosError(
      'INVALID_INPUT',
      `${option}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {
        field: option,
        value: file,
      },
    );
  }
}

/**
 * Checks, before anything irreversible happens, that a secret can later be written to `file`:
 * its folder exists and is writable.
 */
export function assertWritable(option: string, file: string): void {
  const folder = path.dirname(path.resolve(file));
  try {
    fs.accessSync(folder, fs.constants.W_OK);
  } catch {
    throw new AosError(
      'INVALID_INPUT',
      `${option}: cannot write to ${file}: the folder ${folder} does not exist or is not writable`,
      {
        field: option,
        value: file,
      },
    );
  }
}

/**
 * Writes a secret readable by its owner only, replacing any existing file atomically, so an
 * old file's wider permissions never apply to the new content.
 *
 * @example
 * writePrivateFile('agent.tok', `${token}\n`);
 */
export function writePrivateFile(file: string, content: string): void {
  const temporary = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, content, { mode: 0o600, flag: 'wx' });
  fs.renameSync(temporary, file);
}
