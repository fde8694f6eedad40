/**
 * The gateway over upstream MCP servers (`mcp_servers:` in aosiq.yaml). Each server's pinned
 * tools become registry entries named `<prefix>.<tool>`, governed like native tools: grants,
 * approvals for the irreversible ones, audit. A live definition that differs from its pin is
 * refused and reported (audit MCP_TOOL_DEFINITION_CHANGED) until an operator re-pins it.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Config, McpServerConfig } from '../../config/index.js';
import { AosError } from '../../errors.js';
import type { ToolDefinition } from '../../tools/index.js';
import { definitionHash, localToolName, type Pin, type PinsFile, pinnedPart, readPins, type ToolDefinitionDoc, writePins } from './pins.js';
import { upstreamTool } from './tools.js';
import { Upstream, type UpstreamStatus } from './upstream.js';

export { definitionHash, localToolName, readPins } from './pins.js';

/** Reported once per server, tool and live hash, when a live definition stops matching its pin. */
export interface DefinitionChanged {
  server: string;
  tool: string;
  local_name: string;
  pinned_sha256: string;
  /** Null when the server no longer offers the tool. */
  live_sha256: string | null;
}

export type DiffStatus = 'unchanged' | 'changed' | 'new' | 'removed' | 'invalid_name' | 'name_collision';

/** One upstream tool compared with its pin. */
export interface ToolDiff {
  tool: string;
  localName: string | null;
  status: DiffStatus;
  pinnedSha256: string | null;
  liveSha256: string | null;
  /** For a changed tool: which parts differ (description, inputSchema, ...). */
  changedFields: string[];
  pinned: ToolDefinitionDoc | null;
  live: ToolDefinitionDoc | null;
}

export interface Inspection {
  server: string;
  prefix: string;
  tools: ToolDiff[];
  /** Settings under mcp_servers.<server>.tools that name no tool the server offers. */
  warnings: string[];
}

interface Live {
  doc: ToolDefinitionDoc;
  sha256: string;
}

interface ServerEntry {
  config: McpServerConfig;
  prefix: string;
  upstream: Upstream;
  live: Map<string, Live> | null;
  reported: Set<string>;
}

export interface GatewayOptions {
  servers: Config['mcp_servers'];
  pinsFile: string;
  env: NodeJS.ProcessEnv;
  /** Where the servers' stderr and the gateway's notices go, one line at a time. */
  log: (server: string, line: string) => void;
}

export class McpGateway {
  readonly #servers = new Map<string, ServerEntry>();
  readonly #offered = new Set<string>();
  readonly #pinsFile: string;
  readonly #log: GatewayOptions['log'];
  #pins: PinsFile;
  /** Told of each definition that stops matching its pin (the runtime audits it). */
  onDefinitionChanged: (event: DefinitionChanged) => void = () => undefined;

  /**
   * Reads the pins and prepares one (not yet started) connection per server. A header whose
   * environment variable is unset is CONFIG_INVALID here, before anything connects.
   *
   * @example
   * const gateway = new McpGateway({ servers: config.mcp_servers, pinsFile: config.mcp_pins_file, env: process.env, log });
   */
  constructor(options: GatewayOptions) {
    this.#pinsFile = options.pinsFile;
    this.#log = options.log;
    this.#pins = readPins(options.pinsFile);
    for (const [name, config] of Object.entries(options.servers)) {
      for (const [header, variable] of Object.entries(config.headers_from_env)) {
        if (!options.env[variable]) {
          throw new AosError('CONFIG_INVALID', `mcp_servers.${name}.headers_from_env.${header}: environment variable ${variable} is not set`, { field: `mcp_servers.${name}.headers_from_env.${header}`, value: variable });
        }
      }
      const entry: ServerEntry = {
        config,
        prefix: config.prefix ?? name,
        live: null,
        reported: new Set(),
        upstream: new Upstream({ name, config, env: options.env, log: (line) => options.log(name, line), onListing: (tools) => this.#listed(name, tools) }),
      };
      this.#servers.set(name, entry);
    }
  }

  /**
   * Registry entries for every pinned tool of every configured server (no connection is made:
   * a server starts on its first call).
   *
   * @example
   * for (const tool of gateway.tools()) registry.register(tool);
   */
  tools(): ToolDefinition[] {
    const tools: ToolDefinition[] = [];
    for (const [name, entry] of this.#servers) {
      for (const [tool, pin] of Object.entries(this.#pins.servers[name]?.tools ?? {})) {
        const localName = localToolName(entry.prefix, tool);
        if (localName === null) continue;
        const port = { verify: (upstreamName: string, sha256: string) => this.#verify(name, upstreamName, sha256), call: entry.upstream.call.bind(entry.upstream) };
        tools.push(upstreamTool(name, entry.config, localName, pin, port, (line) => this.#log(name, line)));
        this.#offered.add(localName);
      }
    }
    return tools;
  }

  /** True when `tool` (our name) is an upstream tool: its results are MCP content already. */
  owns(tool: string): boolean {
    return this.#offered.has(tool);
  }

  /** The configured servers with their connection state. */
  status(): { server: string; prefix: string; transport: 'stdio' | 'http'; pinned: number; connection: UpstreamStatus }[] {
    return [...this.#servers].map(([server, entry]) => ({
      server,
      prefix: entry.prefix,
      transport: entry.config.url === undefined ? 'stdio' : 'http',
      pinned: Object.keys(this.#pins.servers[server]?.tools ?? {}).length,
      connection: { ...entry.upstream.status },
    }));
  }

  /**
   * Connects to the server and compares each tool it offers with its pin.
   *
   * @example
   * (await gateway.inspect('files')).tools.filter((tool) => tool.status !== 'unchanged');
   */
  async inspect(server: string): Promise<Inspection> {
    const entry = this.#entry(server);
    await entry.upstream.ready();
    const live = entry.live ?? new Map<string, Live>();
    const pins = this.#pins.servers[server]?.tools ?? {};
    const names = [...new Set([...Object.keys(pins), ...live.keys()])].sort();
    const localNames = new Map<string, number>();
    for (const name of live.keys()) {
      const local = localToolName(entry.prefix, name);
      if (local) localNames.set(local, (localNames.get(local) ?? 0) + 1);
    }
    const tools = names.map((tool) => diffOf(tool, entry.prefix, pins[tool] ?? null, live.get(tool) ?? null, localNames));
    const warnings = Object.keys(entry.config.tools)
      .filter((tool) => !live.has(tool))
      .map((tool) => `mcp_servers.${server}.tools.${tool}: the server offers no tool named "${tool}"; the setting has no effect`);
    return { server, prefix: entry.prefix, tools, warnings };
  }

  /**
   * Pins the server's live definitions: the named tools, or all of them (dropping pins of tools
   * it no longer offers). Running processes keep the pins they started with until restarted.
   *
   * @example
   * await gateway.pin('files', { by: 'alice' });
   */
  async pin(server: string, options: { tools?: string[]; by: string; at: Date }): Promise<Inspection> {
    const inspection = await this.inspect(server);
    const byName = new Map(inspection.tools.map((diff) => [diff.tool, diff]));
    const selected = options.tools ?? inspection.tools.filter((diff) => diff.live).map((diff) => diff.tool);
    const unknown = selected.filter((tool) => !byName.get(tool)?.live);
    if (unknown.length > 0) {
      throw new AosError('INVALID_INPUT', `--tool: upstream server ${server} offers no tool named ${unknown.map((tool) => `"${tool}"`).join(', ')}`, { field: 'tool', value: unknown });
    }
    const unnameable = selected.filter((tool) => !byName.get(tool)!.localName);
    if (options.tools && unnameable.length > 0) {
      throw new AosError('INVALID_INPUT', `cannot pin ${unnameable.join(', ')}: no valid unique tool name under prefix "${inspection.prefix}"`, { field: 'tool', value: unnameable });
    }
    const current = { ...(this.#pins.servers[server]?.tools ?? {}) };
    for (const tool of selected) {
      const diff = byName.get(tool)!;
      if (!diff.localName || !diff.live) continue;
      if (diff.status !== 'unchanged') current[tool] = { sha256: diff.liveSha256!, pinned_at: options.at.toISOString(), pinned_by: options.by, definition: diff.live };
    }
    if (!options.tools) for (const diff of inspection.tools) if (diff.status === 'removed') delete current[diff.tool];
    this.#pins = { ...this.#pins, servers: { ...this.#pins.servers, [server]: { tools: current } } };
    writePins(this.#pinsFile, this.#pins);
    return inspection;
  }

  /** Ends every upstream connection and server process. */
  async close(): Promise<void> {
    await Promise.all([...this.#servers.values()].map((entry) => entry.upstream.close()));
  }

  async #verify(server: string, tool: string, pinnedSha256: string): Promise<void> {
    const entry = this.#entry(server);
    await entry.upstream.ready();
    const live = entry.live?.get(tool);
    const localName = localToolName(entry.prefix, tool) ?? tool;
    if (live?.sha256 === pinnedSha256) return;
    const why = live
      ? `the definition of ${tool} on upstream MCP server ${server} changed since it was pinned (pinned sha256 ${pinnedSha256.slice(0, 12)}…, now ${live.sha256.slice(0, 12)}…)`
      : `upstream MCP server ${server} no longer offers ${tool}`;
    throw new AosError('TOOL_DEFINITION_CHANGED', `${localName} is refused: ${why}; an operator reviews it with "aosiq mcp-servers diff ${server}" and re-pins with "aosiq mcp-servers pin ${server} --tool ${tool}", then restarts AOSIQ`, {
      tool: localName,
      server,
      pinnedSha256,
      liveSha256: live?.sha256 ?? null,
    });
  }

  #listed(server: string, tools: readonly Tool[]): void {
    const entry = this.#entry(server);
    entry.live = new Map(
      tools.map((tool) => {
        const doc = pinnedPart(tool);
        return [tool.name, { doc, sha256: definitionHash(doc) }];
      }),
    );
    for (const [tool, pin] of Object.entries(this.#pins.servers[server]?.tools ?? {})) {
      const live = entry.live.get(tool)?.sha256 ?? null;
      const key = `${tool}\0${live}`;
      if (live === pin.sha256 || entry.reported.has(key)) continue;
      entry.reported.add(key);
      const localName = localToolName(entry.prefix, tool) ?? tool;
      this.#log(server, `${localName}: the live definition ${live ? `(sha256 ${live.slice(0, 12)}…) differs from its pin` : 'is gone'}; the tool is refused until re-pinned`);
      this.onDefinitionChanged({ server, tool, local_name: localName, pinned_sha256: pin.sha256, live_sha256: live });
    }
  }

  #entry(server: string): ServerEntry {
    const entry = this.#servers.get(server);
    if (!entry) {
      const known = [...this.#servers.keys()];
      throw new AosError('NOT_FOUND', `no MCP server "${server}" under mcp_servers (configured: ${known.join(', ') || 'none'})`, { field: 'server', value: server });
    }
    return entry;
  }
}

function diffOf(tool: string, prefix: string, pin: Pin | null, live: Live | null, localNames: Map<string, number>): ToolDiff {
  const localName = localToolName(prefix, tool);
  const base = { tool, localName, pinnedSha256: pin?.sha256 ?? null, liveSha256: live?.sha256 ?? null, pinned: pin?.definition ?? null, live: live?.doc ?? null, changedFields: [] as string[] };
  if (!live) return { ...base, status: 'removed' };
  if (!pin) {
    if (localName === null) return { ...base, status: 'invalid_name' };
    if ((localNames.get(localName) ?? 0) > 1) return { ...base, localName: null, status: 'name_collision' };
    return { ...base, status: 'new' };
  }
  if (pin.sha256 === live.sha256) return { ...base, status: 'unchanged' };
  const fields = ['name', 'title', 'description', 'inputSchema', 'outputSchema'] as const;
  const changedFields = fields.filter((field) => JSON.stringify(pin.definition[field]) !== JSON.stringify(live.doc[field]));
  return { ...base, status: 'changed', changedFields };
}
