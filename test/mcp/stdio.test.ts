/**
 * The MCP server over stdio, driven by the official SDK's Client as an IDE agent would: the
 * `aosiq mcp` process and this test share a PostgreSQL database (the embedded one is a single
 * process's), and the approval is given over the HTTP API.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfig } from '../../src/config/index.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { createApiKey } from '../../src/server/auth/index.js';
import { type Server, serve } from '../../src/server/serve.js';
import { cliPath, nodeFlags } from '../cli/cli-process.js';
import { createScratchDatabase } from '../support/scratch-database.js';

const serverUrl = process.env.AOS_TEST_DATABASE_URL;
if (!serverUrl) process.stderr.write('NOTICE: AOS_TEST_DATABASE_URL is not set; the MCP stdio tests (PostgreSQL) are skipped.\n');

interface Structured {
  structuredContent?: Record<string, any>;
  isError?: boolean;
  content: { type: string; text: string }[];
}

describe.skipIf(!serverUrl)('aosiq mcp over stdio with the SDK client', () => {
  let dir: string;
  let runtime: Runtime;
  let api: Server;
  let adminKey: string;
  let client: Client;
  let drop = async () => {};
  let actorToken: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-mcp-'));
    fs.writeFileSync(path.join(dir, 'aosiq.yaml'), exampleConfig());
    fs.mkdirSync(path.join(dir, 'workspace', 'tmp'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'workspace', 'tmp', 'stale.log'), 'old\n');
    const scratch = await createScratchDatabase(serverUrl!, 'aosiq_mcp');
    drop = scratch.drop;
    runtime = await openRuntime({ configPath: path.join(dir, 'aosiq.yaml'), dataDir: path.join(dir, '.aosiq'), databaseUrl: scratch.url, env: {} });
    api = await serve(runtime, { host: '127.0.0.1', port: 0, authMode: 'enforced', logger: false, say: () => {}, env: {}, scheduler: false });
    adminKey = (await createApiKey(runtime.db, runtime.deps.clock, { name: 'approver', scopes: { approve: true }, createdBy: 'test' })).key;
    actorToken = (await runtime.syscall.spawn({ className: 'janitor', grants: [{ tool: 'fs.list' }, { tool: 'fs.delete', constraints: { path: [{ prefix: 'tmp/' }] } }] })).token;
    client = new Client({ name: 'aosiq-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [...nodeFlags, cliPath, '-c', path.join(dir, 'aosiq.yaml'), '-d', path.join(dir, '.aosiq'), 'mcp'],
        env: { PATH: process.env.PATH ?? '', AOS_TOKEN: actorToken, AOS_DATABASE_URL: scratch.url },
        stderr: 'pipe',
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await api?.close();
    await runtime?.close();
    await drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists exactly the tools the token grants, with our schemas and reversibility', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['fs.delete', 'fs.list', 'spawn_subagent', 'wait_for_approval']);
    const remove = tools.find((tool) => tool.name === 'fs.delete')!;
    expect(remove.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(remove.description).toContain('Irreversible');
    expect(remove.inputSchema).toMatchObject({ type: 'object', properties: { path: expect.any(Object) } });
    expect(tools.find((tool) => tool.name === 'fs.list')!.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
  });

  it('calls a granted tool, and refuses an ungranted one or a constraint breach as a tool error with our code', async () => {
    const listed = (await client.callTool({ name: 'fs.list', arguments: { path: 'tmp' } })) as Structured;
    expect(listed.isError).toBe(false);
    expect(listed.structuredContent!.entries).toEqual([expect.objectContaining({ path: 'tmp/stale.log', type: 'file' })]);
    const read = (await client.callTool({ name: 'fs.read', arguments: { path: 'tmp/stale.log' } })) as Structured;
    expect(read).toMatchObject({ isError: true, structuredContent: { code: 'CAPABILITY_DENIED' } });
    expect(read.content[0]!.text).toMatch(/^CAPABILITY_DENIED: /);
    const outside = (await client.callTool({ name: 'fs.delete', arguments: { path: 'notes.txt' } })) as Structured;
    expect(outside).toMatchObject({ isError: true, structuredContent: { code: 'CAPABILITY_DENIED' } });
    const { rows } = await runtime.db.query<{ principal: string }>("SELECT principal FROM audit_events WHERE type = 'TOOL_CALL_COMPLETED' ORDER BY id DESC LIMIT 1");
    expect(rows[0]!.principal).toBe('mcp:stdio');
  });

  it('answers an irreversible call with a pending approval, waits for it with progress, and runs the retry once', async () => {
    const first = (await client.callTool({ name: 'fs.delete', arguments: { path: 'tmp/stale.log' } })) as Structured;
    expect(first.isError).toBe(false);
    expect(first.structuredContent).toMatchObject({ status: 'approval_pending', ran: false, tool: 'fs.delete' });
    expect(first.content[0]!.text).toMatch(/^NOT RUN: fs\.delete needs a human approval/);
    const approvalId = String(first.structuredContent!.approval_id);
    expect(fs.existsSync(path.join(dir, 'workspace', 'tmp', 'stale.log'))).toBe(true);

    const progress: string[] = [];
    const waiting = client.callTool({ name: 'wait_for_approval', arguments: { approval_id: approvalId, timeout_seconds: 30 } }, undefined, {
      onprogress: (update) => progress.push(update.message ?? ''),
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const approved = await fetch(`${api.url}/api/v1/approvals/${approvalId}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'stale log' }),
    });
    expect(approved.status).toBe(200);
    const waited = (await waiting) as Structured;
    expect(waited.structuredContent).toMatchObject({ approval_id: approvalId, status: 'approved', decided_by: 'key:approver' });
    expect(progress.some((message) => message.includes(`approval ${approvalId}`))).toBe(true);

    const retry = (await client.callTool({ name: 'fs.delete', arguments: { path: 'tmp/stale.log' } })) as Structured;
    expect(retry.isError).toBe(false);
    expect(fs.existsSync(path.join(dir, 'workspace', 'tmp', 'stale.log'))).toBe(false);
    const again = (await client.callTool({ name: 'fs.delete', arguments: { path: 'tmp/stale.log' } })) as Structured;
    expect(again.structuredContent).toMatchObject({ status: 'approval_pending' });
    expect(again.structuredContent!.approval_id).not.toBe(approvalId);
  });

  it('hands a sub-agent a narrower token and says what it dropped', async () => {
    const spawned = (await client.callTool({ name: 'spawn_subagent', arguments: { class: 'janitor', grants: [{ tool: 'fs.list' }, { tool: 'fs.read' }] } })) as Structured;
    expect(spawned.isError).toBe(false);
    expect(spawned.structuredContent).toMatchObject({ grants: [{ tool: 'fs.list' }], dropped: [{ grant: { tool: 'fs.read' }, reason: expect.any(String) }] });
    const child = await runtime.deps.tokens.verify(String(spawned.structuredContent!.token));
    expect(child.grants).toEqual([{ tool: 'fs.list' }]);
    const bad = (await client.callTool({ name: 'spawn_subagent', arguments: { class: 'janitor' } })) as Structured;
    expect(bad).toMatchObject({ isError: true, structuredContent: { code: 'INVALID_INPUT' } });
  });
});
