import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ToolRegistry } from './registry.js';
import type { ToolDefinition } from './types.js';

function tool(name: string, input: z.ZodType = z.strictObject({})): ToolDefinition {
  return {
    name,
    description: `the ${name} tool`,
    input,
    reversible: true,
    blastRadius: { level: 'low', reason: 'test' },
    run: async () => null,
  };
}

function registryWith(...names: string[]): ToolRegistry {
  const registry = new ToolRegistry();
  for (const name of names) registry.register(tool(name));
  return registry;
}

describe('ToolRegistry', () => {
  it('returns a registered tool and lists descriptors sorted by name', () => {
    const registry = new ToolRegistry();
    registry.register(tool('fs.write'));
    registry.register(tool('fs.read', z.strictObject({ path: z.string(), max_bytes: z.int().optional() })));
    expect(registry.get('fs.read').description).toBe('the fs.read tool');
    expect(registry.list()).toEqual([
      {
        name: 'fs.read',
        description: 'the fs.read tool',
        reversible: true,
        blastRadius: { level: 'low', reason: 'test' },
        inputSchema: expect.objectContaining({
          type: 'object',
          properties: { path: { type: 'string' }, max_bytes: expect.objectContaining({ type: 'integer' }) },
          required: ['path'],
          additionalProperties: false,
        }),
      },
      expect.objectContaining({ name: 'fs.write' }),
    ]);
  });

  it('refuses a second tool with the same name', () => {
    const registry = registryWith('fs.read');
    expect(() => registry.register(tool('fs.read'))).toThrow(
      expect.objectContaining({
        code: 'CONFLICT',
        message: expect.stringContaining('"fs.read" is already registered'),
      }),
    );
  });

  it('refuses a tool name without a family', () => {
    expect(() => registryWith('read')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => registryWith('Fs.Read')).toThrow(/"Fs.Read" is invalid/);
  });

  it('names an unknown tool and suggests close names', () => {
    const registry = registryWith('fs.read', 'fs.list', 'http.get');
    expect(() => registry.get('fs.raed')).toThrow(
      expect.objectContaining({
        code: 'UNKNOWN_TOOL',
        message: expect.stringMatching(
          /^no tool named "fs.raed" is registered; did you mean "fs.read", "fs.list"\?/,
        ),
        details: { tool: 'fs.raed', suggestions: ['fs.read', 'fs.list'] },
      }),
    );
    expect(() => registry.get('shell.exec')).toThrow(/^no tool named "shell.exec" is registered \(run/);
  });

  it('parses arguments, applying defaults', () => {
    const registry = new ToolRegistry();
    registry.register(tool('fs.list', z.strictObject({ path: z.string().default('.') })));
    expect(registry.parseArgs('fs.list', {})).toEqual({ path: '.' });
  });

  it('lists every invalid argument with its path', () => {
    const registry = new ToolRegistry();
    const input = z.strictObject({
      path: z.string(),
      encoding: z.enum(['utf8', 'base64']),
      options: z.strictObject({ depth: z.int() }),
    });
    registry.register(tool('fs.read', input));
    expect(() =>
      registry.parseArgs('fs.read', { path: 3, encoding: 'latin1', options: { depth: 'x' }, pth: 'a' }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        details: {
          tool: 'fs.read',
          problems: [
            'path: expected a string, got 3',
            'encoding: expected one of utf8|base64, got "latin1"',
            'options.depth: expected a number, got "x"',
            'pth: unknown field "pth" (did you mean "path"?)',
          ],
        },
      }),
    );
    expect(() => registry.parseArgs('fs.read', 'notes.txt')).toThrow(
      'invalid arguments for fs.read: (arguments): expected a mapping, got "notes.txt"',
    );
  });

  it('keeps registered definitions from being changed afterwards', () => {
    const registry = registryWith('fs.read');
    expect(Object.isFrozen(registry.get('fs.read'))).toBe(true);
  });
});
