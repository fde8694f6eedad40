/**
 * A new embedded database starts from a template: the data directory PGlite's initdb makes,
 * saved once at build time (`npm run build`, `npm test`) as dist/pglite-<version>.tar, then
 * loaded into each new database instead of running initdb again, which costs 4 – 5 s of the
 * first start where loading the template costs about 1 s. The template is kept per PGlite
 * version, so an upgrade never loads another version's files; without one for the installed
 * version, a new database is made the ordinary way. It lives beside the built code and is
 * trusted as that code is.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { packageRoot, packageRootOf } from '../version.js';

/** Where the template for the installed PGlite is kept. */
export function templatePath(): string {
  return path.join(packageRoot(), 'dist', `pglite-${pgliteVersion()}.tar`);
}

/**
 * The template as PGlite's `loadDataDir` takes it, or null when it has not been built. Read
 * afresh for each new database rather than kept: 40 MB a server would otherwise hold for good.
 */
export function readTemplate(): Blob | null {
  const file = templatePath();
  return fs.existsSync(file) ? new Blob([fs.readFileSync(file)]) : null;
}

/**
 * Makes the template unless it is there already: initdb in memory, its data directory written
 * as a tar file (renamed into place whole). Returns the file and whether it was written now.
 */
export async function buildTemplate(file = templatePath()): Promise<{ file: string; built: boolean }> {
  if (fs.existsSync(file)) return { file, built: false };
  const db = await PGlite.create();
  try {
    const dump = await db.dumpDataDir('none');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    fs.writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(partial, file);
    return { file, built: true };
  } finally {
    await db.close();
  }
}

/** The installed PGlite's version, from its package.json (found from its entry point). */
function pgliteVersion(): string {
  const folder = packageRootOf(path.dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite'))));
  return (JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')) as { version: string }).version;
}
