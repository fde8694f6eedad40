import fs from 'node:fs';
import path from 'node:path';
import { AosError } from '../../errors.js';

/** Where one anchored checkpoint lives: one file per tree size, written once. */
export function anchorFile(directory: string, size: number): string {
  return path.join(directory, `checkpoint-${String(size).padStart(16, '0')}.txt`);
}

/**
 * Writes a signed checkpoint into a directory outside the database. A file is never
 * overwritten: the same checkpoint again is a no-op, a different one under the same size is
 * refused (that is exactly what an attacker rewriting the log would try).
 *
 * @example
 * writeFileAnchor('/var/lib/aosiq-anchors', 1024, note);
 */
export function writeFileAnchor(directory: string, size: number, note: string): string {
  fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  const file = anchorFile(directory, size);
  try {
    fs.writeFileSync(file, note, { flag: 'wx', mode: 0o444 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (fs.readFileSync(file, 'utf8') !== note) {
      throw new AosError('AUDIT_CHAIN_BROKEN', `${file} already anchors a different checkpoint of size ${size}`, { file });
    }
  }
  return file;
}

/**
 * Every checkpoint anchored in the directory, oldest first.
 *
 * @example
 * for (const { size, note } of readFileAnchors(dir)) console.log(size);
 */
export function readFileAnchors(directory: string): { size: number; note: string; file: string }[] {
  if (!fs.existsSync(directory)) return [];
  return fs
    .readdirSync(directory)
    .filter((name) => /^checkpoint-\d{16}\.txt$/.test(name))
    .sort()
    .map((name) => ({
      size: Number(name.slice('checkpoint-'.length, -'.txt'.length)),
      note: fs.readFileSync(path.join(directory, name), 'utf8'),
      file: path.join(directory, name),
    }));
}
