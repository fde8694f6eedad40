import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadToolModules } from './modules.js';
import { createToolContext } from './types.js';

const folder = mkdtempSync(join(tmpdir(), 'aosiq-modules-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

// Temp modules live outside the repo, so they import zod by its absolute URL.
const zodUrl = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve('zod/package.json')), 'index.js'),
).href;

function moduleFile(name: string, body: string): string {
  const file = join(folder, name);
  writeFileSync(file, `import { z } from '${zodUrl}';\n${body}\n`);
  return file;
}

const TOOL = `{
  name: 'acme.greet',
  description: 'Greets someone.',
  input: z.strictObject({ who: z.string() }),
  reversible: true,
  blastRadius: { level: 'low', reason: 'returns text' },
  run: async (args, context) => ({ greeting: 'hello ' + args.who, actor: context.actorId }),
}`;

describe('loadToolModules', () => {
  it('loads a single definition, an array and a function returning them', async () => {
    const single = moduleFile('single.mjs', `export default ${TOOL};`);
    const array = moduleFile(
      'array.mjs',
      `export default [{ ...${TOOL}, name: 'acme.one' }, { ...${TOOL}, name: 'acme.two' }];`,
    );
    const factory = moduleFile(
      'factory.mjs',
      `export default async () => ({ ...${TOOL}, name: 'acme.made' });`,
    );
    const tools = await loadToolModules([single, array, factory]);
    expect(tools.map((tool) => tool.name)).toEqual(['acme.greet', 'acme.one', 'acme.two', 'acme.made']);
    const context = createToolContext({
      signal: new AbortController().signal,
      idempotencyKey: 'k',
      actorId: 'a1',
      sessionId: 's',
    });
    expect(await tools[0]!.run(tools[0]!.input.parse({ who: 'ops' }), context)).toEqual({
      greeting: 'hello ops',
      actor: 'a1',
    });
  });

  it('names the module and each wrong field', async () => {
    const bad = moduleFile(
      'bad.mjs',
      `export default [${TOOL}, { ...${TOOL}, name: 'Greet', blastRadius: { level: 'huge', reason: 'x' }, run: 'nope' }];`,
    );
    const error = await loadToolModules([bad]).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', details: { module: bad } });
    const message = (error as Error).message;
    expect(message).toContain(`tool module ${bad} is not a valid tool module`);
    expect(message).toContain(
      'default export[1].name: expected a dotted lowercase tool name like "acme.lookup", got "Greet"',
    );
    expect(message).toContain(
      'default export[1].blastRadius.level: expected one of low|medium|high|critical, got "huge"',
    );
    expect(message).toContain('default export[1].run: expected a function');
    expect(message).not.toContain('default export[0]');
  });

  it('refuses a module without a default export, one that fails to import, and a missing file', async () => {
    const noDefault = moduleFile('named.mjs', `export const tool = ${TOOL};`);
    await expect(loadToolModules([noDefault])).rejects.toThrow(
      `tool module ${noDefault} has no default export`,
    );
    const broken = moduleFile('broken.mjs', 'export default {');
    await expect(loadToolModules([broken])).rejects.toThrow(`tool module ${broken} cannot be imported`);
    const missing = join(folder, 'missing.mjs');
    await expect(loadToolModules([missing])).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(`tool module ${missing} cannot be imported`),
    });
  });

  it('refuses an input that is not a zod schema', async () => {
    const plain = moduleFile('plain.mjs', `export default { ...${TOOL}, input: { type: 'object' } };`);
    await expect(loadToolModules([plain])).rejects.toThrow('default export.input: expected a zod 4 schema');
  });
});
