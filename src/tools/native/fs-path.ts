/**
 * Confines file tools to their configured roots. Paths are resolved with realpath and checked
 * after every symlink is followed, so neither "..", an absolute path nor a symlink can lead
 * a tool outside the directory the operator named.
 */
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AosError } from '../../errors.js';

/** A named root and the directory it stands for. */
export interface Root {
  name: string;
  directory: string;
}

/** Where a tool will act: the real absolute path, and the same path relative to the root. */
export interface ConfinedPath {
  real: string;
  relative: string;
  rootReal: string;
}

/**
 * Resolves an existing entry inside the root, following symlinks, or refuses.
 *
 * @example
 * const { real } = await resolveExisting({ name: 'workspace', directory: '/srv/ws' }, 'notes/a.txt');
 */
export async function resolveExisting(root: Root, path: string): Promise<ConfinedPath> {
  const rootReal = await realRoot(root);
  const lexical = lexicalPath(root, rootReal, path);
  const real = await realpath(lexical).catch((error: unknown) => {
    throw fsFailure(error, root, path);
  });
  return confined(root, rootReal, path, real);
}

/**
 * Resolves the folder an entry lives in (creating missing folders when asked) and returns
 * the entry's path inside the real folder; the entry itself need not exist.
 *
 * @example
 * const { real } = await resolveEntry(root, 'out/report.txt', { createDirs: true });
 */
export async function resolveEntry(
  root: Root,
  path: string,
  options: { createDirs: boolean },
): Promise<ConfinedPath> {
  const rootReal = await realRoot(root);
  const lexical = lexicalPath(root, rootReal, path);
  if (lexical === rootReal) throw refuse(root, path, 'is the root itself, not an entry in');
  const folder = dirname(lexical);
  if (options.createDirs) await createFolders(root, rootReal, path, folder);
  const folderReal = await realpath(folder).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fsFailure(error, root, path);
    throw new AosError(
      'NOT_FOUND',
      `the folder of ${JSON.stringify(path)} does not exist in root "${root.name}"; create it or pass create_dirs: true`,
      { root: root.name, path },
    );
  });
  const parent = confined(root, rootReal, path, folderReal);
  return confined(root, rootReal, path, join(parent.real, basename(lexical)));
}

/**
 * Follows a symlink found at an entry and refuses it unless its target is inside the root.
 *
 * @example
 * if ((await lstat(entry.real)).isSymbolicLink()) await checkLinkTarget(root, path, entry);
 */
export async function checkLinkTarget(root: Root, path: string, entry: ConfinedPath): Promise<ConfinedPath> {
  const target = await realpath(entry.real).catch(() => {
    throw refuse(root, path, 'is a symlink to a missing target; it cannot be confined to');
  });
  return confined(root, entry.rootReal, path, target);
}

/**
 * Turns a Node file-system error into an AosError naming the path and root.
 *
 * @example
 * await readdir(real).catch((error) => { throw fsFailure(error, root, path); });
 */
export function fsFailure(error: unknown, root: Root, path: string): AosError {
  if (error instanceof AosError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${JSON.stringify(path)} in root "${root.name}"`;
  const detail = { root: root.name, path };
  if (code === 'ENOENT') return new AosError('NOT_FOUND', `${where} does not exist`, detail);
  if (code === 'ENOTDIR') return new AosError('NOT_FOUND', `${where} does not exist as a folder: it, or a part of it, is a file`, detail);
  if (code === 'ENAMETOOLONG') return new AosError('INVALID_INPUT', `${where} is longer than the file system allows`, detail);
  if (code === 'EISDIR') return new AosError('INVALID_INPUT', `${where} is a folder, and the tool works on files`, detail);
  if (code === 'ELOOP') return refuse(root, path, 'changed into a symlink while in use; it was refused in');
  // Node's message names the absolute path on this host; callers see the error code only.
  return new AosError('TOOL_FAILED', `file operation on ${where} failed: ${code ?? 'unknown error'}`, detail, { cause: error });
}

async function realRoot(root: Root): Promise<string> {
  return realpath(root.directory).catch((error: unknown) => {
    throw new AosError(
      'TOOL_FAILED',
      `root "${root.name}" (${root.directory}) is not usable: ${(error as Error).message}; create the folder or fix tools.roots in aosiq.yaml`,
      { root: root.name },
      { cause: error },
    );
  });
}

function lexicalPath(root: Root, rootReal: string, path: string): string {
  if (path.includes('\0')) throw refuse(root, path, 'contains a NUL byte; it is not a path in');
  if (isAbsolute(path) || path.startsWith('\\'))
    throw refuse(root, path, 'is absolute; give a path relative to');
  if (path.split(/[\\/]/).includes('..')) throw refuse(root, path, 'uses ".." to leave');
  return resolve(rootReal, path);
}

function confined(root: Root, rootReal: string, path: string, real: string): ConfinedPath {
  const inside = relative(rootReal, real);
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw refuse(root, path, 'leads (through a symlink) outside');
  }
  return { real, relative: inside === '' ? '.' : inside.split(sep).join('/'), rootReal };
}

async function createFolders(root: Root, rootReal: string, path: string, folder: string): Promise<void> {
  // Check the deepest folder that already exists before creating anything below it.
  let existing = folder;
  while (
    !(await lstat(existing).then(
      () => true,
      () => false,
    ))
  ) {
    existing = dirname(existing);
  }
  confined(root, rootReal, path, await realpath(existing));
  await mkdir(folder, { recursive: true }).catch((error: unknown) => {
    throw fsFailure(error, root, path);
  });
}

function refuse(root: Root, path: string, why: string): AosError {
  return new AosError(
    'INVALID_INPUT',
    `path ${JSON.stringify(path)} ${why} root "${root.name}"; use a path inside the root, without "..", absolute paths or symlinks leading out`,
    { root: root.name, path },
  );
}
