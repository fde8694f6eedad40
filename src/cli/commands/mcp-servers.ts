import type { Command } from 'commander';
import { recordAuditEvent, SYSTEM_SESSION } from '../../audit/index.js';
import type { Inspection, ToolDiff } from '../../mcp/gateway/index.js';
import { loadConfig } from '../../config/index.js';
import type { McpGateway } from '../../mcp/gateway/index.js';
import { openTools } from '../../runtime.js';
import { type GlobalOptions, globalOptions, type Run, withRuntime } from '../context.js';
import { emit, type Io } from '../output.js';

const STATUS_TEXT: Record<ToolDiff['status'], string> = {
  unchanged: 'pinned',
  changed: 'CHANGED since pinned: refused',
  new: 'not pinned: not offered',
  removed: 'pinned, no longer offered by the server',
  invalid_name: 'not pinned: its name gives no valid tool name',
  name_collision: 'not pinned: its name collides with another tool of this server',
};

function summary(inspection: Inspection): string[] {
  const count = (status: ToolDiff['status']) => inspection.tools.filter((tool) => tool.status === status).length;
  return [
    `${inspection.server} (prefix ${inspection.prefix}): ${count('unchanged')} pinned, ${count('changed')} changed, ${count('new')} not pinned, ${count('removed')} gone`,
    ...inspection.tools.map((tool) => `  ${(tool.localName ?? tool.tool).padEnd(40)} ${STATUS_TEXT[tool.status]}`),
    ...inspection.warnings.map((warning) => `  warning: ${warning}`),
  ];
}

/** What differs, field by field: descriptions as old/new lines, schemas as compact JSON. */
function details(diff: ToolDiff): string[] {
  const lines = [`${diff.localName ?? diff.tool}: ${diff.status === 'changed' ? `changed (${diff.changedFields.join(', ')})` : STATUS_TEXT[diff.status]}`];
  if (diff.status === 'changed') {
    for (const field of diff.changedFields) {
      const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value ?? null));
      lines.push(`  ${field}:`, `  - pinned: ${show(diff.pinned?.[field as keyof typeof diff.pinned])}`, `  + live:   ${show(diff.live?.[field as keyof typeof diff.live])}`);
    }
  } else if (diff.status === 'new' && diff.live) {
    lines.push(`  description: ${diff.live.description}`, `  input: ${JSON.stringify(diff.live.inputSchema)}`);
  }
  return lines;
}

/** Reviewing needs the configuration and the servers, not the store: it works while AOSIQ runs. */
async function withGateway(command: Command, fn: (gateway: McpGateway, options: GlobalOptions) => Promise<void>): Promise<void> {
  const options = globalOptions(command);
  const { gateway } = await openTools(loadConfig(options.config), process.env);
  try {
    await fn(gateway, options);
  } finally {
    await gateway.close();
  }
}

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
          const lines = results.length === 0 ? ['no mcp_servers configured in aosiq.yaml (see docs/mcp.md)'] : results.flatMap((result) => ('error' in result.inspection ? [`${result.server}: ${result.inspection.error}`] : summary(result.inspection)));
          emit(io, options.json, results, lines);
        });
      }),
    );

  group
    .command('diff [server]')
    .description('show what differs between each live tool definition and its pin')
    .action(
      run(async (server: string | undefined, _options: object, command: Command) => {
        await withGateway(command, async (gateway, options) => {
          const inspections: Inspection[] = [];
          for (const name of server ? [server] : gateway.status().map((entry) => entry.server)) inspections.push(await gateway.inspect(name));
          const lines = inspections.flatMap((inspection) => {
            const differing = inspection.tools.filter((tool) => tool.status !== 'unchanged');
            return [`${inspection.server}: ${differing.length === 0 ? 'every tool matches its pin' : `${differing.length} tool(s) differ from their pins`}`, ...differing.flatMap(details)];
          });
          emit(io, options.json, inspections, lines);
        });
      }),
    );

  group
    .command('pin <server>')
    .description("pin the server's live tool definitions after review (all, or --tool ones); restart AOSIQ processes to use them")
    .option('--tool <name>', 'pin only this upstream tool (repeatable)', (value: string, previous: string[]) => [...previous, value], [])
    .addHelpText('after', '\nReview first with: aosiq mcp-servers diff <server>\nThe pins file (mcp_pins_file, default aosiq.mcp-pins.json beside aosiq.yaml) is meant to be committed with aosiq.yaml.\n')
    .action(
      run(async (server: string, flags: { tool: string[] }, command: Command) => {
        await withRuntime(command, async (runtime, options) => {
          const by = runtime.deps.operator.name;
          const inspection = await runtime.gateway.pin(server, { by, at: runtime.deps.clock.now(), ...(flags.tool.length > 0 ? { tools: flags.tool } : {}) });
          const chosen = new Set(flags.tool.length > 0 ? flags.tool : inspection.tools.map((tool) => tool.tool));
          const pinned = inspection.tools.filter((tool) => chosen.has(tool.tool) && (tool.status === 'new' || tool.status === 'changed'));
          const dropped = flags.tool.length > 0 ? [] : inspection.tools.filter((tool) => tool.status === 'removed');
          await recordAuditEvent(runtime.db, runtime.deps.clock, {
            sessionId: SYSTEM_SESSION,
            type: 'MCP_TOOLS_PINNED',
            actorId: null,
            principal: by,
            payload: {
              server,
              prefix: inspection.prefix,
              pinned: pinned.map((tool) => ({ tool: tool.tool, local_name: tool.localName, sha256: tool.liveSha256, previous_sha256: tool.pinnedSha256 })),
              unpinned: dropped.map((tool) => tool.tool),
            },
          });
          const skipped = inspection.tools.filter((tool) => chosen.has(tool.tool) && (tool.status === 'invalid_name' || tool.status === 'name_collision'));
          emit(io, options.json, { server, pinned, unpinned: dropped, skipped }, [
            `${server}: pinned ${pinned.length} tool(s)${pinned.length ? `: ${pinned.map((tool) => tool.localName).join(', ')}` : ''}${dropped.length ? `; dropped ${dropped.length} gone: ${dropped.map((tool) => tool.tool).join(', ')}` : ''}`,
            ...skipped.map((tool) => `  skipped ${tool.tool}: ${STATUS_TEXT[tool.status]}`),
            ...inspection.warnings.map((warning) => `  warning: ${warning}`),
            'restart AOSIQ processes (aosiq start / serve / worker / mcp) so they offer the new pins',
          ]);
        });
      }),
    );
}
