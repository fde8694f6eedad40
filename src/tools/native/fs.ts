/**
 * File tools confined to the operator's named roots: fs.read, fs.list, fs.write, fs.delete.
 * Every path argument is relative to a root (`root`, default: the first configured one).
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AosError } from '../../errors.js';
import type { JsonValue, ToolDefinition } from '../types.js';
import { checkLinkTarget, fsFailure, type Root, resolveEntry, resolveExisting } from './fs-path.js';

export interface FsToolOptions {
  /** Root name to directory (absolute, as `loadConfig` returns them). */
  roots: Record<string, string>;
  /** Largest read, whatever `max_bytes` asks for. */
  maxReadBytes?: number;
  /** Most entries one fs.list returns. */
  maxListEntries?: number;
}

const DEFAULT_MAX_READ_BYTES = 1024 * 1024;
const DEFAULT_MAX_LIST_ENTRIES = 10_000;

/**
 * The four file tools for the given roots; none when no root is configured.
 *
 * @example
 * for (const tool of createFsTools({ roots: config.tools.roots })) registry.register(tool);
 */
export function createFsTools(options: FsToolOptions): ToolDefinition[] {
  const names = Object.keys(options.roots);
  const [first, ...rest] = names;
  if (first === undefined) return [];
  const maxReadBytes = options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
  const maxListEntries = options.maxListEntries ?? DEFAULT_MAX_LIST_ENTRIES;
  const rootField = z.enum([first, ...rest]).default(first);
  const pathField = z.string().min(1).max(4096);
  const rootOf = (name: string): Root => ({ name, directory: options.roots[name]! });
  const encodingField = z.enum(['utf8', 'base64']).default('utf8');
  const readInput = z.strictObject({
    root: rootField,
    path: pathField,
    encoding: encodingField,
    max_bytes: z.int().positive().optional(),
  });
  const listInput = z.strictObject({
    root: rootField,
    path: pathField.default('.'),
    recursive: z.boolean().default(false),
  });
  const writeInput = z.strictObject({
    root: rootField,
    path: pathField,
    content: z.string(),
    encoding: encodingField,
    create_dirs: z.boolean().default(false),
  });
  const deleteInput = z.strictObject({ root: rootField, path: pathField });

  const read: ToolDefinition<z.infer<typeof readInput>> = {
    name: 'fs.read',
    description: `Reads a file under a root (${names.join(', ')}); returns at most max_bytes (cap ${maxReadBytes}).`,
    input: readInput,
    reversible: true,
    blastRadius: { level: 'low', reason: 'reads a file and changes nothing' },
    async run(args, context) {
      context.signal.throwIfAborted();
      const root = rootOf(args.root);
      const target = await resolveExisting(root, args.path);
      const handle = await open(target.real, constants.O_RDONLY | constants.O_NOFOLLOW).catch(
        (error: unknown) => {
          throw fsFailure(error, root, args.path);
        },
      );
      try {
        const stats = await handle.stat();
        if (!stats.isFile()) throw notA('file', root, args.path);
        const limit = Math.min(args.max_bytes ?? maxReadBytes, maxReadBytes);
        const buffer = Buffer.alloc(Math.min(stats.size, limit));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
        return {
          root: root.name,
          path: target.relative,
          encoding: args.encoding,
          content: buffer.subarray(0, bytesRead).toString(args.encoding),
          size: stats.size,
          truncated: stats.size > bytesRead,
        };
      } finally {
        await handle.close();
      }
    },
  };

  const list: ToolDefinition<z.infer<typeof listInput>> = {
    name: 'fs.list',
    description: `Lists a folder under a root (${names.join(', ')}); symlinks are shown, not followed.`,
    input: listInput,
    reversible: true,
    blastRadius: { level: 'low', reason: 'lists a folder and changes nothing' },
    async run(args, context) {
      const root = rootOf(args.root);
      const target = await resolveExisting(root, args.path);
      if (!(await lstat(target.real)).isDirectory()) throw notA('folder', root, args.path);
      const entries: JsonValue[] = [];
      const pending = [target.relative === '.' ? '' : target.relative];
      let truncated = false;
      while (pending.length > 0 && !truncated) {
        context.signal.throwIfAborted();
        const folder = pending.shift()!;
        const children = await readdir(join(target.rootReal, folder), { withFileTypes: true }).catch(
          (error: unknown) => {
            throw fsFailure(error, root, args.path);
          },
        );
        children.sort((a, b) => a.name.localeCompare(b.name));
        for (const child of children) {
          truncated = entries.length >= maxListEntries;
          if (truncated) break;
          const path = folder === '' ? child.name : `${folder}/${child.name}`;
          const type = child.isFile()
            ? 'file'
            : child.isDirectory()
              ? 'folder'
              : child.isSymbolicLink()
                ? 'symlink'
                : 'other';
          const size = type === 'file' ? (await lstat(join(target.rootReal, path))).size : null;
          entries.push({ path, type, size });
          if (args.recursive && type === 'folder') pending.push(path);
        }
      }
      return {
        root: root.name,
        path: target.relative,
        entries,
        truncated,
      };
    },
  };

  const write: ToolDefinition<z.infer<typeof writeInput>> = {
    name: 'fs.write',
    description: `Writes a file under a root (${names.join(', ')}), replacing any existing content.`,
    input: writeInput,
    reversible: false,
    blastRadius: { level: 'medium', reason: 'overwrites file contents' },
    async run(args, context) {
      context.signal.throwIfAborted();
      const root = rootOf(args.root);
      let entry = await resolveEntry(root, args.path, { createDirs: args.create_dirs });
      const existing = await lstat(entry.real).catch(() => undefined);
      if (existing?.isSymbolicLink()) entry = await checkLinkTarget(root, args.path, entry);
      if (existing?.isDirectory()) throw notA('file', root, args.path);
      const content = Buffer.from(args.content, args.encoding);
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
      const handle = await open(entry.real, flags, 0o644).catch((error: unknown) => {
        throw fsFailure(error, root, args.path);
      });
      try {
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
      return {
        root: root.name,
        path: entry.relative,
        bytes: content.length,
        created: existing === undefined,
      };
    },
  };

  const remove: ToolDefinition<z.infer<typeof deleteInput>> = {
    name: 'fs.delete',
    description: `Deletes a file, symlink or empty folder under a root (${names.join(', ')}).`,
    input: deleteInput,
    reversible: false,
    blastRadius: { level: 'high', reason: 'deletes a file permanently' },
    async run(args, context) {
      context.signal.throwIfAborted();
      const root = rootOf(args.root);
      const entry = await resolveEntry(root, args.path, { createDirs: false });
      const stats = await lstat(entry.real).catch((error: unknown) => {
        throw fsFailure(error, root, args.path);
      });
      if (stats.isSymbolicLink()) await checkLinkTarget(root, args.path, entry);
      const removal = stats.isDirectory() ? rmdir(entry.real) : unlink(entry.real);
      await removal.catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw fsFailure(error, root, args.path);
        throw new AosError(
          'INVALID_INPUT',
          `folder ${JSON.stringify(args.path)} in root "${root.name}" is not empty; delete its entries first`,
          {
            root: root.name,
            path: args.path,
          },
        );
      });
      return { root: root.name, path: entry.relative, deleted: stats.isDirectory() ? 'folder' : 'file' };
    },
  };

  return [read, list, write, remove];
}

function notA(kind: 'file' | 'folder', root: Root, path: string): AosError {
  return new AosError('INVALID_INPUT', `${JSON.stringify(path)} in root "${root.name}" is not a ${kind}`, {
    root: root.name,
    path,
  });
}
