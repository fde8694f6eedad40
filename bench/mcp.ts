/**
 * Tool calls through our MCP server against the same calls straight through the syscall, in
 * one run on one PostgreSQL scratch database, and upstream tools through the gateway against
 * the same upstream server called directly.
 *
 * 1. fs.read of a 6-byte file (reversible: two durable audit rows per call), as one actor:
 *    - direct: `syscall.callTool` in this process (the baseline);
 *    - MCP in memory: the official SDK Client talking to our MCP server over the SDK's in-memory
 *      transport: the protocol layer's own cost (JSON-RPC, schema validation, result shaping);
 *    - MCP over stdio: `aosiq mcp` as a child process, as Claude Code runs it; the server has its
 *      own event loop and database pool (pipes and a second process added).
 * 2. The real filesystem MCP server (@modelcontextprotocol/server-filesystem) reading the same
 *    file: an SDK Client calling it directly (the baseline) against `files.read_text_file`
 *    through the syscall (grant check, pin check, audit, then the same upstream call).
 *
 * Calls run one after another (one actor: the audit chain serialises a session's calls anyway).
 * Warm-up first, then three alternating runs of each side; the best of each is shown with the
 * ratio of per-call latency (p50) to its baseline.
 *
 * Run: npm run bench:mcp   (PostgreSQL from AOS_BENCH_DATABASE_URL, else AOS_TEST_DATABASE_URL,
 * else postgres://postgres@127.0.0.1:5432/postgres; a scratch database is created and dropped)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { exampleConfig, loadConfig } from '../src/config/index.js';
import { McpGateway } from '../src/mcp/gateway/index.js';
import { createMcpServer } from '../src/mcp/index.js';
import { openRuntime } from '../src/runtime.js';
import { type Figures, measure, scratchDatabase, show } from './support.js';

const OPS = 300;
const WARM_UP = 30;
const RUNS = 3;
const repo = fileURLToPath(new URL('../..', import.meta.url));
const filesystemServer = path.join(repo, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
const quiet = () => undefined;

async function connected(transport: ConstructorParameters<typeof StdioClientTransport>[0] | InMemoryTransport): Promise<Client> {
  const client = new Client({ name: 'aosiq-bench', version: '1.0.0' });
  await client.connect(transport instanceof InMemoryTransport ? transport : new StdioClientTransport(transport));
  return client;
}

/** Calls `op` until the result says it worked; throws on the first failure (a benchmark of errors measures nothing). */
function checked(op: () => Promise<unknown>): () => Promise<void> {
  return async () => {
    const result = (await op()) as { isError?: boolean; content?: unknown };
    if (result && typeof result === 'object' && result.isError) throw new Error(`call failed: ${JSON.stringify(result.content)}`);
  };
}

/** Best of RUNS alternating runs of each side, after a warm-up of each. */
async function compare(sides: Record<string, () => Promise<void>>): Promise<Record<string, Figures>> {
  const best: Record<string, Figures> = {};
  for (const op of Object.values(sides)) await measure(1, WARM_UP, op);
  for (let run = 0; run < RUNS; run++) {
    for (const [label, op] of Object.entries(sides)) {
      const figures = await measure(1, OPS, op);
      if (!best[label] || figures.p50 < best[label].p50) best[label] = figures;
    }
  }
  return best;
}

function report(title: string, baselineLabel: string, figures: Record<string, Figures>): void {
  console.log(`\n${title} (${OPS} calls per run, best of ${RUNS}):`);
  for (const [label, value] of Object.entries(figures)) console.log(show(label, value));
  const base = figures[baselineLabel]!;
  for (const [label, value] of Object.entries(figures)) {
    if (label === baselineLabel) continue;
    console.log(`latency ratio ${label} / ${baselineLabel}: p50 ${(value.p50 / base.p50).toFixed(2)}, p99 ${(value.p99 / base.p99).toFixed(2)}; throughput ${(value.throughput / base.throughput).toFixed(2)}`);
  }
}

async function main(): Promise<void> {
  const scratch = await scratchDatabase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-bench-mcp-'));
  const root = path.join(dir, 'upstream');
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, 'hello.txt'), 'hello\n');
  const configPath = path.join(dir, 'aosiq.yaml');
  fs.writeFileSync(
    configPath,
    `${exampleConfig().replace('actor_classes:\n', 'actor_classes:\n  bench:\n    kind: agent\n    capabilities: [{ tool: fs.read }, { tool: files.read_text_file }]\n')}
mcp_servers:
  files:
    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(filesystemServer)}, ${JSON.stringify(root)}]
    tools:
      read_text_file: { reversible: true, blast_radius: low, reason: reads a file }
`,
  );
  fs.mkdirSync(path.join(dir, 'workspace'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'workspace', 'hello.txt'), 'hello\n');
  const config = loadConfig(configPath, {});
  const pinner = new McpGateway({ servers: config.mcp_servers, pinsFile: config.mcp_pins_file, env: process.env, log: quiet });
  await pinner.pin('files', { tools: ['read_text_file'], by: 'bench', at: new Date(), record: async () => undefined });
  await pinner.close();

  const dataDir = path.join(dir, '.aosiq');
  const runtime = await openRuntime({ configPath, dataDir, databaseUrl: scratch.url, env: { PATH: process.env.PATH }, log: quiet });
  const clients: Client[] = [];
  try {
    console.log(`PostgreSQL ${(await runtime.db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v}, Node ${process.version}, ${os.cpus().length} cores`);
    const { token } = await runtime.syscall.spawn({ className: 'bench', grants: [{ tool: 'fs.read' }, { tool: 'files.read_text_file' }] });
    const args = { path: 'hello.txt' };

    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await createMcpServer(runtime, { token, principal: 'mcp:bench' }).connect(serverSide);
    const inMemory = await connected(clientSide);
    const stdio = await connected({
      command: process.execPath,
      args: [path.join(repo, 'bin/aosiq.js'), '-c', configPath, '-d', dataDir, 'mcp'],
      env: { PATH: process.env.PATH!, AOS_TOKEN: token, AOS_DATABASE_URL: scratch.url },
      stderr: 'ignore',
    });
    clients.push(inMemory, stdio);
    report('fs.read, one actor', 'direct syscall', await compare({
      'direct syscall': checked(() => runtime.syscall.callTool(token, 'fs.read', args, 'bench')),
      'MCP in memory': checked(() => inMemory.callTool({ name: 'fs.read', arguments: args })),
      'MCP over stdio (aosiq mcp)': checked(() => stdio.callTool({ name: 'fs.read', arguments: args })),
    }));

    const upstream = await connected({ command: process.execPath, args: [filesystemServer, root], stderr: 'ignore' });
    clients.push(upstream);
    const upstreamArgs = { path: path.join(root, 'hello.txt') };
    report('filesystem MCP server, read_text_file', 'upstream direct', await compare({
      'upstream direct': checked(() => upstream.callTool({ name: 'read_text_file', arguments: upstreamArgs })),
      'through the gateway (syscall)': checked(() => runtime.syscall.callTool(token, 'files.read_text_file', upstreamArgs, 'bench')),
    }));
  } finally {
    for (const client of clients) await client.close();
    await runtime.close();
    await scratch.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
