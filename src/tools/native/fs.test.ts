import { runTool } from '../../../test/support/tools.js';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createToolContext, type ToolDefinition } from '../types.js';
import { createFsTools } from './fs.js';

const base = mkdtempSync(join(tmpdir(), 'aosiq-fs-'));
const workspace = join(base, 'workspace');
const other = join(base, 'other');
const outside = join(base, 'outside');
afterAll(() => rmSync(base, { recursive: true, force: true }));

beforeEach(() => {
  for (const folder of [workspace, other, outside]) {
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder);
  }
  writeFileSync(join(workspace, 'notes.txt'), 'hello world');
  mkdirSync(join(workspace, 'logs'));
  writeFileSync(join(workspace, 'logs', 'a.log'), 'line');
  writeFileSync(join(other, 'other.txt'), 'from other');
  writeFileSync(join(outside, 'secret.txt'), 'secret');
});

const tools = new Map(
  createFsTools({ roots: { workspace, other }, maxReadBytes: 8 }).map((tool) => [tool.name, tool] as const),
);

/** Validates like the registry would, then runs the tool. */
async function call(name: string, args: Record<string, unknown>) {
  return runTool(tools.get(name) as ToolDefinition, args);
}

describe('file tools', () => {
  it('declares reversibility and blast radius per tool', () => {
    const summary = [...tools.values()].map((tool) => [tool.name, tool.reversible, tool.blastRadius.level]);
    expect(summary).toEqual([
      ['fs.read', true, 'low'],
      ['fs.list', true, 'low'],
      ['fs.write', false, 'medium'],
      ['fs.delete', false, 'high'],
    ]);
  });

  it('offers no tools when no root is configured', () => {
    expect(createFsTools({ roots: {} })).toEqual([]);
  });

  it('reads from the first root by default and from a named root on request', async () => {
    expect(await call('fs.read', { path: 'logs/a.log' })).toMatchObject({
      root: 'workspace',
      content: 'line',
    });
    expect(await call('fs.read', { root: 'other', path: 'other.txt', max_bytes: 4 })).toMatchObject({
      content: 'from',
      truncated: true,
    });
  });

  it('caps reads at the configured limit and can return base64', async () => {
    expect(await call('fs.read', { path: 'notes.txt', max_bytes: 100 })).toMatchObject({
      content: 'hello wo',
      size: 11,
      truncated: true,
    });
    expect(await call('fs.read', { path: 'logs/a.log', encoding: 'base64' })).toMatchObject({
      content: Buffer.from('line').toString('base64'),
    });
  });

  it('lists a folder, recursively on request, showing symlinks without following them', async () => {
    symlinkSync(outside, join(workspace, 'link-out'));
    expect(await call('fs.list', {})).toEqual({
      root: 'workspace',
      path: '.',
      entries: [
        { path: 'link-out', type: 'symlink', size: null },
        { path: 'logs', type: 'folder', size: null },
        { path: 'notes.txt', type: 'file', size: 11 },
      ],
      truncated: false,
    });
    const recursive = (await call('fs.list', { recursive: true })) as { entries: { path: string }[] };
    expect(recursive.entries.map((entry) => entry.path)).toContain('logs/a.log');
  });

  it('stops listing at the entry limit and says so', async () => {
    const [, list] = createFsTools({ roots: { workspace }, maxListEntries: 2 });
    const context = createToolContext({
      signal: new AbortController().signal,
      idempotencyKey: 'k',
      actorId: 'a',
      sessionId: 's',
    });
    expect(await list!.run(list!.input.parse({ recursive: true }), context)).toMatchObject({
      entries: [{ path: 'logs' }, { path: 'notes.txt' }],
      truncated: true,
    });
    expect(await list!.run(list!.input.parse({ path: 'logs' }), context)).toMatchObject({ truncated: false });
  });

  it('writes a file, creating folders only when asked', async () => {
    await expect(call('fs.write', { path: 'out/report.txt', content: 'x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await call('fs.write', { path: 'out/report.txt', content: 'report', create_dirs: true })).toEqual({
      root: 'workspace',
      path: 'out/report.txt',
      bytes: 6,
      created: true,
    });
    expect(readFileSync(join(workspace, 'out/report.txt'), 'utf8')).toBe('report');
    await call('fs.write', { path: 'notes.txt', content: 'bye' });
    expect(readFileSync(join(workspace, 'notes.txt'), 'utf8')).toBe('bye');
  });

  it('deletes a file and an empty folder, and refuses a non-empty folder or the root', async () => {
    await call('fs.delete', { path: 'notes.txt' });
    expect(existsSync(join(workspace, 'notes.txt'))).toBe(false);
    await expect(call('fs.delete', { path: 'logs' })).rejects.toThrow(/not empty/);
    await call('fs.delete', { path: 'logs/a.log' });
    await call('fs.delete', { path: 'logs' });
    expect(existsSync(join(workspace, 'logs'))).toBe(false);
    await expect(call('fs.delete', { path: '.' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(call('fs.delete', { path: 'gone.txt' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers file-system errors with caller errors that name the path but never the host path', async () => {
    const cases = [
      ['fs.read', { path: 'notes.txt/inside' }, 'NOT_FOUND'],
      ['fs.list', { path: 'notes.txt' }, 'INVALID_INPUT'],
      ['fs.read', { path: 'logs' }, 'INVALID_INPUT'],
      ['fs.read', { path: `${'x'.repeat(300)}.txt` }, 'INVALID_INPUT'],
    ] as const;
    for (const [name, args, code] of cases) {
      const error = await call(name, args).then(
        () => null,
        (caught: unknown) => caught as { code: string; message: string },
      );
      expect(error, `${name} ${args.path.slice(0, 20)}`).toMatchObject({ code });
      expect(error!.message).toContain('in root "workspace"');
      expect(error!.message).not.toContain(base);
    }
  });

  it('rejects an unknown root in the arguments', () => {
    expect(() => tools.get('fs.read')!.input.parse({ root: 'etc', path: 'passwd' })).toThrow();
  });

  describe('refuses every way out of the root', () => {
    const escapes: [string, Record<string, unknown>][] = [
      ['fs.read', { path: '../outside/secret.txt' }],
      ['fs.read', { path: 'logs/../../outside/secret.txt' }],
      ['fs.read', { path: join(outside, 'secret.txt') }],
      ['fs.list', { path: '..' }],
      ['fs.write', { path: '../outside/new.txt', content: 'x' }],
      ['fs.write', { path: '/tmp/aosiq-escape.txt', content: 'x' }],
      ['fs.delete', { path: '../outside/secret.txt' }],
    ];
    it.each(escapes)('%s %j', async (name, args) => {
      await expect(call(name, args)).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining(JSON.stringify(args.path)),
      });
      expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    });

    it('through a symlinked file or folder', async () => {
      symlinkSync(join(outside, 'secret.txt'), join(workspace, 'secret-link'));
      symlinkSync(outside, join(workspace, 'dir-link'));
      const attempts: [string, Record<string, unknown>][] = [
        ['fs.read', { path: 'secret-link' }],
        ['fs.read', { path: 'dir-link/secret.txt' }],
        ['fs.list', { path: 'dir-link' }],
        ['fs.write', { path: 'secret-link', content: 'owned' }],
        ['fs.write', { path: 'dir-link/new.txt', content: 'owned' }],
        ['fs.write', { path: 'dir-link/deep/new.txt', content: 'owned', create_dirs: true }],
        ['fs.delete', { path: 'dir-link/secret.txt' }],
        ['fs.delete', { path: 'secret-link' }],
      ];
      for (const [name, args] of attempts) {
        await expect(call(name, args)).rejects.toMatchObject({
          code: 'INVALID_INPUT',
          message: expect.stringMatching(/outside root "workspace"/),
        });
      }
      expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
      expect(existsSync(join(outside, 'new.txt'))).toBe(false);
      expect(existsSync(join(outside, 'deep'))).toBe(false);
    });

    it('but follows a symlink that stays inside', async () => {
      symlinkSync(join(workspace, 'logs'), join(workspace, 'logs-link'));
      expect(await call('fs.read', { path: 'logs-link/a.log' })).toMatchObject({
        path: 'logs/a.log',
        content: 'line',
      });
    });
  });
});
