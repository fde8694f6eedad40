import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleConfig } from '../config/example.js';
import { loadConfig } from '../config/load.js';
import { createToolRegistry } from './index.js';
import { createToolContext } from './types.js';

const folder = mkdtempSync(join(tmpdir(), 'aosiq-tools-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('createToolRegistry', () => {
  it('registers the native tools the example config enables and runs one end to end', async () => {
    const file = join(folder, 'aosiq.yaml');
    writeFileSync(file, exampleConfig());
    mkdirSync(join(folder, 'workspace'));
    writeFileSync(join(folder, 'workspace', 'readme.txt'), 'hi');
    const registry = await createToolRegistry(loadConfig(file, {}));
    expect(registry.list().map((tool) => tool.name)).toEqual([
      'command.announce',
      'fs.delete',
      'fs.list',
      'fs.read',
      'fs.write',
      'http.get',
      'http.request',
    ]);
    const context = createToolContext({
      signal: new AbortController().signal,
      idempotencyKey: 'k',
      actorId: 'a',
      sessionId: 's',
    });
    const args = registry.parseArgs('fs.read', { path: 'readme.txt' });
    expect(await registry.get('fs.read').run(args, context)).toMatchObject({
      root: 'workspace',
      content: 'hi',
    });
    const announce = registry.parseArgs('command.announce', { message: 'deploy-started' });
    expect(await registry.get('command.announce').run(announce, context)).toMatchObject({
      stdout: 'deploy-started\n',
    });
  });

  it('refuses a module tool whose name collides with a native tool', async () => {
    const module = join(folder, 'clash.mjs');
    writeFileSync(
      module,
      "export default { name: 'fs.read', description: 'x', input: { _zod: {} }, reversible: true, blastRadius: { level: 'low', reason: 'x' }, run: async () => null };",
    );
    const file = join(folder, 'clash.yaml');
    writeFileSync(
      file,
      'version: 1\ntools:\n  roots: { workspace: ./workspace }\n  modules: [./clash.mjs]\n',
    );
    await expect(createToolRegistry(loadConfig(file, {}))).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
