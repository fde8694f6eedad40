/**
 * The gateway over upstream MCP servers (`mcp_servers:` in aosiq.yaml). Each server's pinned
 * tools become registry entries named `<prefix>.<tool>`, governed like native tools: grants,
 * approvals for the irreversible ones, audit. A live definition that differs from its pin is
 * refused and reported (audit MCP_TOOL_DEFINITION_CHANGED) until an operator re-pins it.
 */
import type { Config, McpServerConfig } from '../../config/index.js';
import { AosError } from '../../errors.js';
import type { ToolDefinition } from '../../tools/index.js';
import { compare, type LiveTool, liveTools, type ToolDiff } from './diff.js';
import { localToolName, type PinsFile, readPins, updatePins } from './pins.js';
import { upstreamTool } from './tools.js';
import { Upstream, type UpstreamStatus } from './upstream.js';

export type { DiffStatus, ToolDiff } from './diff.js';

/** Reported once per server, tool and live hash, when a live definition stops matching its pin. */
export interface DefinitionChanged {
  server: string;
  tool: string;
  local_name: string;
  pinned_sha256: string;
  /** Null when the server no longer offers the tool (or its definition cannot be hashed). */
  live_sha256: string | null;
}

export interface Inspection {
  server: string;
  prefix: string;
  tools: ToolDiff[];
  /** Settings under mcp_servers.<server>.tools that name no tool the server offers. */
  warnings: string[];
}

/** What a pin or unpin changed, exactly as written to the pins file. */
export interface PinChange {
  server: string;
  prefix: string;
  pinned: { tool: string; local_name: string; sha256: string; previous_sha256: string | null }[];
  unpinned: string[];
}

interface ServerEntry {
  config: McpServerConfig;
  prefix: string;
  upstream: Upstream;
  live: Map<string, LiveTool> | null;
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
   * Reads the pins and prepares one (not yet started) connection per server.
   *
   * @example
   * const gateway = new McpGateway({ servers: config.mcp_servers, pinsFile: config.mcp_pins_file, env: process.env, log });
   */
  constructor(options: GatewayOptions) {
    this.#pinsFile = options.pinsFile;
    this.#log = options.log;
    this.#pins = readPins(options.pinsFile);
    for (const [name, config] of Object.entries(options.servers)) {
      const log = (line: string) => options.log(name, line);
      const upstream = new Upstream({ name, config, env: options.env, log, onListing: (tools) => this.#listed(name, liveTools(tools)) });
      this.#servers.set(name, { config, prefix: config.prefix ?? name, live: null, reported: new Set(), upstream });
    }
  }

  /**
   * Registry entries for every pinned tool of every configured server (no connection is made:
   * a server starts on its first call). Two pins that would share a name are both left out.
   *
   * @example
   * for (const tool of gateway.tools()) registry.register(tool);
   */
  tools(): ToolDefinition[] {
    const tools: ToolDefinition[] = [];
    for (const [name, entry] of this.#servers) {
      const pins = Object.entries(this.#pins.servers[name]?.tools ?? {});
      const names = pins.map(([tool]) => localToolName(entry.prefix, tool));
      for (const [index, [tool, pin]] of pins.entries()) {
        const localName = names[index];
        if (!localName || names.indexOf(localName) !== names.lastIndexOf(localName)) {
          this.#log(name, `pinned tool ${tool} is not offered: ${localName ? `another pinned tool also becomes ${localName}` : 'its name gives no valid tool name'}; unpin one (aosiq mcp-servers unpin ${name} --tool …)`);
          continue;
        }
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
    const live = liveTools(await entry.upstream.tools());
    const tools = compare(entry.prefix, this.#pins.servers[server]?.tools ?? {}, live);
    const warnings = Object.keys(entry.config.tools)
      .filter((tool) => !live.has(tool))
      .map((tool) => `mcp_servers.${server}.tools.${tool}: the server offers no tool named "${tool}"; the setting has no effect`);
    return { server, prefix: entry.prefix, tools, warnings };
  }

  /**
   * Pins the server's live definitions: the named tools, or all new ones (and drops pins of
   * tools it no longer offers). A changed tool is re-pinned only when named or when
   * `acceptChanged` says the operator reviewed the changes. `record` (the audit) runs before the
   * file is written. Running processes keep the pins they started with until restarted.
   *
   * @example
   * await gateway.pin('files', { tools: ['write_file'], record: audit });
   */
  async pin(server: string, options: { tools?: string[]; acceptChanged?: boolean; by: string; at: Date; record: (change: PinChange) => Promise<void> }): Promise<PinChange> {
    const inspection = await this.inspect(server);
    const byName = new Map(inspection.tools.map((diff) => [diff.tool, diff]));
    if (options.tools) {
      const problems = options.tools.flatMap((tool) => {
        const diff = byName.get(tool);
        if (!diff?.live) return [`the server offers no tool named "${tool}"`];
        if (diff.status === 'invalid_name' || diff.status === 'name_collision') return [`${tool} gives no valid, unique tool name under prefix "${inspection.prefix}"`];
        if (diff.status === 'invalid_definition') return [`${tool}'s definition cannot be hashed (${diff.problem})`];
        return [];
      });
      if (problems.length > 0) throw new AosError('INVALID_INPUT', `--tool: ${problems.join('; ')}`, { field: 'tool', value: options.tools });
    } else {
      const changed = inspection.tools.filter((diff) => diff.status === 'changed');
      if (changed.length > 0 && !options.acceptChanged) {
        throw new AosError('INVALID_INPUT', `${changed.length} pinned tool(s) of ${server} changed upstream (${changed.map((diff) => diff.tool).join(', ')}): review with "aosiq mcp-servers diff ${server}", then pin them by name (--tool) or pass --accept-changed`, { field: 'accept-changed' });
      }
    }
    const selected = options.tools ?? inspection.tools.filter((diff) => diff.status === 'new' || diff.status === 'changed').map((diff) => diff.tool);
    const change: PinChange = {
      server,
      prefix: inspection.prefix,
      pinned: selected
        .map((tool) => byName.get(tool)!)
        .filter((diff) => diff.status !== 'unchanged')
        .map((diff) => ({ tool: diff.tool, local_name: diff.localName!, sha256: diff.liveSha256!, previous_sha256: diff.pinnedSha256 })),
      unpinned: options.tools ? [] : inspection.tools.filter((diff) => diff.status === 'removed').map((diff) => diff.tool),
    };
    await options.record(change);
    this.#pins = await updatePins(this.#pinsFile, (pins) => {
      const tools = { ...(pins.servers[server]?.tools ?? {}) };
      for (const pinned of change.pinned) tools[pinned.tool] = { sha256: pinned.sha256, pinned_at: options.at.toISOString(), pinned_by: options.by, definition: byName.get(pinned.tool)!.live! };
      for (const tool of change.unpinned) delete tools[tool];
      pins.servers[server] = { tools };
    });
    return change;
  }

  /**
   * Removes pins (no connection needed): those tools are no longer offered after a restart.
   *
   * @example
   * await gateway.unpin('files', ['move_file'], audit);
   */
  async unpin(server: string, tools: string[], record: (change: PinChange) => Promise<void>): Promise<PinChange> {
    const entry = this.#entry(server);
    const pinned = this.#pins.servers[server]?.tools ?? {};
    const missing = tools.filter((tool) => !(tool in pinned));
    if (missing.length > 0) throw new AosError('INVALID_INPUT', `--tool: no pin for ${missing.map((tool) => `"${tool}"`).join(', ')} under ${server} (pinned: ${Object.keys(pinned).join(', ') || 'none'})`, { field: 'tool', value: missing });
    const change: PinChange = { server, prefix: entry.prefix, pinned: [], unpinned: tools };
    await record(change);
    this.#pins = await updatePins(this.#pinsFile, (pins) => {
      for (const tool of tools) delete pins.servers[server]?.tools[tool];
    });
    return change;
  }

  /** Ends every upstream connection and waits for the server processes to exit. */
  async close(): Promise<void> {
    await Promise.all([...this.#servers.values()].map((entry) => entry.upstream.close()));
  }

  async #verify(server: string, tool: string, pinnedSha256: string): Promise<void> {
    const entry = this.#entry(server);
    // The current listing (waiting for one in flight; re-fetched when old): never a stale one.
    await entry.upstream.tools();
    const live = entry.live?.get(tool);
    const localName = localToolName(entry.prefix, tool) ?? tool;
    if (live?.sha256 === pinnedSha256) return;
    const gone = !live || live.sha256 === null;
    const why = gone
      ? `upstream MCP server ${server} no longer offers ${tool} (or its definition cannot be read)`
      : `the definition of ${tool} on upstream MCP server ${server} changed since it was pinned (pinned sha256 ${pinnedSha256.slice(0, 12)}…, now ${live.sha256.slice(0, 12)}…)`;
    const fix = gone ? `drops the pin with "aosiq mcp-servers unpin ${server} --tool ${tool}"` : `reviews it with "aosiq mcp-servers diff ${server}" and re-pins with "aosiq mcp-servers pin ${server} --tool ${tool}"`;
    throw new AosError('TOOL_DEFINITION_CHANGED', `${localName} is refused: ${why}; an operator ${fix}, then restarts AOSIQ`, {
      tool: localName,
      server,
      pinnedSha256,
      liveSha256: live?.sha256 ?? null,
    });
  }

  #listed(server: string, live: Map<string, LiveTool>): void {
    const entry = this.#entry(server);
    entry.live = live;
    for (const [tool, pin] of Object.entries(this.#pins.servers[server]?.tools ?? {})) {
      const sha256 = live.get(tool)?.sha256 ?? null;
      const key = `${tool}\0${sha256}`;
      if (sha256 === pin.sha256 || entry.reported.has(key)) continue;
      entry.reported.add(key);
      const localName = localToolName(entry.prefix, tool) ?? tool;
      this.#log(server, `${localName}: the live definition ${sha256 ? `(sha256 ${sha256.slice(0, 12)}…) differs from its pin` : 'is gone or unreadable'}; the tool is refused until re-pinned`);
      this.onDefinitionChanged({ server, tool, local_name: localName, pinned_sha256: pin.sha256, live_sha256: sha256 });
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
