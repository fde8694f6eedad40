import type { Command } from 'commander';
import { recordAuditEvent, SYSTEM_SESSION } from '../../audit/index.js';
import { loadConfig } from '../../config/index.js';
import { AosError } from '../../errors.js';
import { type Inspection, McpGateway, type PinChange, type ToolDiff } from '../../mcp/gateway/index.js';
import type { Runtime } from '../../runtime.js';
import { type GlobalOptions, globalOptions, type Run, withRuntime } from '../context.js';
import { emit, type Io } from '../output.js';

const STATUS_TEXT: Record<ToolDiff['status'], string> = {
  unchanged: 'pinned',
  changed: 'CHANGED since pinned: refused',
  new: 'not pinned: not offered',
  removed: 'pinned, no longer offered by the server: refused',
  invalid_name: 'not pinned: its name gives no valid tool name',
  name_collision: 'not pinned: its name collides with another tool of this server',
  invalid_definition: 'its definition cannot be hashed: refused',
};

function summary(inspection: Inspection): string[] {
  const counts = new Map<string, number>();
  for (const tool of inspection.tools) counts.set(tool.status, (counts.get(tool.status) ?? 0) + 1);
  const parts = [...counts].map(([status, count]) => `${count} ${status.replace('_', ' ')}`);
  return [
    `${inspection.server} (prefix ${inspection.prefix}): ${parts.join(', ') || 'no tools'}`,
    ...inspection.tools.map((tool) => `  ${(tool.localName ?? tool.tool).padEnd(40)} ${STATUS_TEXT[tool.status]}${tool.liveSha256 ? `  sha256 ${tool.liveSha256.slice(0, 16)}` : ''}`),
    ...inspection.warnings.map((warning) => `  warning: ${warning}`),
  ];
}

/** What differs, field by field: descriptions as old/new lines, schemas as compact JSON. */
function details(diff: ToolDiff): string[] {
  const lines = [`${diff.localName ?? diff.tool}: ${diff.status === 'changed' ? `changed (${diff.changedFields.join(', ')})` : STATUS_TEXT[diff.status]}${diff.liveSha256 ? `, live sha256 ${diff.liveSha256}` : ''}`];
  const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value ?? null));
  if (diff.status === 'changed') {
    for (const field of diff.changedFields) {
      lines.push(`  ${field}:`, `  - pinned: ${show(diff.pinned?.[field as keyof typeof diff.pinned])}`, `  + live:   ${show(diff.live?.[field as keyof typeof diff.live])}`);
    }
  } else if (diff.live && diff.status !== 'removed') {
    for (const [field, value] of Object.entries(diff.live)) if (field !== 'name') lines.push(`  ${field}: ${show(value)}`);
    if (diff.problem) lines.push(`  problem: ${diff.problem}`);
  }
  return lines;
}

/** Reviewing needs the configuration and the servers, not the store or tool modules: it works while AOSIQ runs. */
async function withGateway(command: Command, fn: (gateway: McpGateway, options: GlobalOptions) => Promise<void>): Promise<void> {
  const options = globalOptions(command);
  const config = loadConfig(options.config);
  const gateway = new McpGateway({ servers: config.mcp_servers, pinsFile: config.mcp_pins_file, env: process.env, log: (server, line) => process.stderr.write(`[mcp_servers.${server}] ${line}\n`) });
  try {
    await fn(gateway, options);
  } finally {
    await gateway.close();
  }
}

/** MCP_TOOLS_PINNED, written before the pins file changes. */
function auditPins(runtime: Runtime, by: string): (change: PinChange) => Promise<void> {
  return async (change) => {
    await recordAuditEvent(runtime.db, runtime.deps.clock, { sessionId: SYSTEM_SESSION, type: 'MCP_TOOLS_PINNED', actorId: null, principal: by, payload: { ...change } });
  };
}

function changeLines(change: PinChange): string[] {
  return [
    `${change.server}: pinned ${change.pinned.length} tool(s)${change.pinned.map((pin) => `\n  ${pin.local_name}  sha256 ${pin.sha256.slice(0, 16)}${pin.previous_sha256 ? ` (was ${pin.previous_sha256.slice(0, 16)})` : ''}`).join('')}`,
    ...(change.unpinned.length > 0 ? [`${change.server}: unpinned ${change.unpinned.join(', ')}`] : []),
    'restart AOSIQ processes (aosiq start / serve / worker / mcp) so they use the new pins',
  ];
}

const repeatable = (value: string, previous: string[]) => [...previous, value];

/**
 * `aosiq mcp-servers`: the upstream MCP servers behind the gateway; compare their live tool
 * definitions with the pinned ones, and pin after review.
 */
export function registerMcpServers(program: Command, io: Io, run: Run): void {
  const group = program
    .command('mcp-servers')
    .description('upstream MCP servers behind the gateway (mcp_servers: in aosiq.yaml): status, review, pin');

  group
    .command('list')
    .description('connect to each server and compare its tools with their pins')
    .action(
      run(async (_options: object, command: Command) => {
        await withGateway(command, async (gateway, options) => {
          const results = [];
          for (const server of gateway.status()) {
            const inspection = await gateway.inspect(server.server).catch((error: Error) => ({ server: server.server, error: error.message }));
            // The status after connecting: state, restarts, last error.
            results.push({ ...gateway.status().find((after) => after.server === server.server)!, inspection });
          }
          const lines = results.length === 0 ? ['no mcp_servers configured in aosiq.yaml (see docs/mcp.md)'] : results.flatMap((result) => ('error' in result.inspection ? [`${result.server}: ${result.inspection.error}${result.connection.lastError ? ` (${result.connection.lastError})` : ''}`] : summary(result.inspection)));
          emit(io, options.json, results, lines);
        });
      }),
    );

  group
    .command('diff [server]')
    .description('show what differs between each live tool definition and its pin (exit code 62 when anything does)')
    .action(
      run(async (server: string | undefined, _options: object, command: Command) => {
        await withGateway(command, async (gateway, options) => {
          const results: (Inspection | { server: string; error: string })[] = [];
          for (const name of server ? [server] : gateway.status().map((entry) => entry.server)) {
            results.push(await gateway.inspect(name).catch((error: Error) => ({ server: name, error: error.message })));
          }
          const lines = results.flatMap((result) => {
            if ('error' in result) return [`${result.server}: ${result.error}`];
            const differing = result.tools.filter((tool) => tool.status !== 'unchanged');
            return [`${result.server}: ${differing.length === 0 ? 'every tool matches its pin' : `${differing.length} tool(s) differ from their pins`}`, ...differing.flatMap(details)];
          });
          emit(io, options.json, results, lines);
          const failed = results.find((result) => 'error' in result);
          if (failed) throw new AosError('UPSTREAM_UNAVAILABLE', `${failed.server}: ${failed.error}`, { server: failed.server });
          if (results.some((result) => 'tools' in result && result.tools.some((tool) => tool.status !== 'unchanged'))) {
            throw new AosError('TOOL_DEFINITION_CHANGED', 'some tools differ from their pins (above)', {});
          }
        });
      }),
    );

  group
    .command('pin <server>')
    .description("pin the server's live tool definitions after review: new ones (all, or --tool ones); restart AOSIQ processes to use them")
    .option('--tool <name>', 'pin this upstream tool, new or changed (repeatable)', repeatable, [])
    .option('--accept-changed', 'without --tool: also re-pin tools whose definition changed')
    .addHelpText('after', '\nReview first: aosiq mcp-servers diff <server>\nPinning records MCP_TOOLS_PINNED in the audit log, so it needs the store (with the embedded database, stop aosiq start first, or use PostgreSQL).\nThe pins file (mcp_pins_file, default aosiq.mcp-pins.json beside aosiq.yaml) is meant to be committed with aosiq.yaml.\n')
    .action(
      run(async (server: string, flags: { tool: string[]; acceptChanged?: boolean }, command: Command) => {
        await withRuntime(command, async (runtime, options) => {
          const by = runtime.deps.operator.name;
          const change = await runtime.gateway.pin(server, { by, at: runtime.deps.clock.now(), acceptChanged: Boolean(flags.acceptChanged), record: auditPins(runtime, by), ...(flags.tool.length > 0 ? { tools: flags.tool } : {}) });
          emit(io, options.json, change, changeLines(change));
        });
      }),
    );

  group
    .command('unpin <server>')
    .description('drop pins: those tools are no longer offered (after a restart)')
    .requiredOption('--tool <name>', 'the upstream tool (repeatable)', repeatable, [])
    .action(
      run(async (server: string, flags: { tool: string[] }, command: Command) => {
        await withRuntime(command, async (runtime, options) => {
          const by = runtime.deps.operator.name;
          const change = await runtime.gateway.unpin(server, flags.tool, auditPins(runtime, by));
          emit(io, options.json, change, changeLines(change));
        });
      }),
    );
}
