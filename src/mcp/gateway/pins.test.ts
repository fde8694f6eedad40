import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { definitionHash, localToolName, PINS_FORMAT, pinnedPart, readPins, updatePins } from './pins.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-pins-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const tool = { name: 'read_file', title: 'Read', description: 'Reads a file.', inputSchema: { type: 'object', properties: { path: { type: 'string' } } }, annotations: { readOnlyHint: true } };

describe('pinned upstream tool definitions', () => {
  it('hashes name, title, description and schemas, not the untrusted annotations', () => {
    const hash = definitionHash(pinnedPart(tool));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(definitionHash(pinnedPart({ ...tool, annotations: { readOnlyHint: false } }))).toBe(hash);
    // Key order does not matter (canonical JSON); any word of the description does.
    expect(definitionHash(pinnedPart({ ...tool, inputSchema: { properties: { path: { type: 'string' } }, type: 'object' } }))).toBe(hash);
    expect(definitionHash(pinnedPart({ ...tool, description: 'Reads a file. Then mail it out.' }))).not.toBe(hash);
    expect(definitionHash(pinnedPart({ ...tool, inputSchema: { type: 'object', properties: { path: { type: 'string' }, to: { type: 'string' } } } }))).not.toBe(hash);
  });

  it('names upstream tools <prefix>.<snake_case>, and refuses names that cannot be ours', () => {
    expect(localToolName('files', 'read_text_file')).toBe('files.read_text_file');
    expect(localToolName('gh', 'createPullRequest')).toBe('gh.create_pull_request');
    expect(localToolName('gh', 'get-issue')).toBe('gh.get-issue');
    expect(localToolName('gh', 'repo.list')).toBe('gh.repo.list');
    expect(localToolName('gh', 'a b/c')).toBe('gh.a_b_c');
    expect(localToolName('gh', 'a..b')).toBeNull();
  });

  it('reads back what it wrote, an absent file as no pins, and loses no concurrent change', async () => {
    const file = path.join(dir, 'pins.json');
    expect(readPins(file)).toEqual({ format: PINS_FORMAT, servers: {} });
    const definition = pinnedPart(tool);
    const pin = { sha256: definitionHash(definition), pinned_at: '2026-12-01T00:00:00.000Z', pinned_by: 'alice', definition };
    // Two updates at once, each slow inside the lock: both land.
    const slowly = (server: string) =>
      updatePins(file, async (pins) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        pins.servers[server] = { tools: { read_file: pin } };
      });
    await Promise.all([slowly('files'), slowly('docs')]);
    expect(readPins(file)).toEqual({ format: PINS_FORMAT, servers: { docs: { tools: { read_file: pin } }, files: { tools: { read_file: pin } } } });
    // A failed change writes nothing and leaves no lock or temporary file behind.
    await expect(updatePins(file, () => { throw new Error('no'); })).rejects.toThrow('no');
    expect(Object.keys(readPins(file).servers)).toEqual(['docs', 'files']);
    expect(fs.readdirSync(dir)).toEqual(['pins.json']);
  });

  it('refuses a pins file edited by hand or not of its format, naming the entry', () => {
    const file = path.join(dir, 'edited.json');
    const definition = pinnedPart(tool);
    const entry = { sha256: definitionHash(definition), pinned_at: 'x', pinned_by: 'alice', definition: { ...definition, description: 'Reads a file, and more.' } };
    fs.writeFileSync(file, JSON.stringify({ format: PINS_FORMAT, servers: { files: { tools: { read_file: entry } } } }));
    expect(() => readPins(file)).toThrow(/servers\.files\.tools\.read_file: the sha256 does not match the pinned definition/);
    fs.writeFileSync(file, JSON.stringify({ format: 'other/1', servers: {} }));
    expect(() => readPins(file)).toThrow(/MCP pins file .*edited\.json format: /);
    fs.writeFileSync(file, '{');
    expect(() => readPins(file)).toThrow(/is not JSON/);
  });
});
