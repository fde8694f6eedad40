/**
 * One connection to an upstream MCP server, as an MCP client: started when first needed, its
 * tool listing kept current (at connect and whenever the server announces a change), and
 * restarted with doubling back-off when it fails. Nothing of the caller's reaches the server
 * but the tool arguments: the program gets a minimal environment, an HTTP server only the
 * headers the operator configured.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type CallToolResult, type Tool, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from '../../config/index.js';
import { AosError } from '../../errors.js';
import { packageVersion } from '../../version.js';

/** The first restart waits this long; each further failure doubles it, up to the cap. */
export const RESTART_BASE_MS = 250;
export const RESTART_MAX_MS = 30_000;
/** A connection that stayed up this long failed afresh: its back-off starts again from the base. */
const STABLE_MS = 30_000;
const MAX_LIST_PAGES = 50;
/** Variables a stdio server gets from our environment unless the operator passes more. */
const BASE_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'TMPDIR'];

export type UpstreamState = 'idle' | 'connecting' | 'up' | 'down' | 'closed';

export interface UpstreamStatus {
  state: UpstreamState;
  /** Why the last connection ended or failed to start (with the server's last stderr line). */
  lastError: string | null;
  /** Connections made after a failure. */
  restarts: number;
  /** When the next restart is due (epoch ms), while down. */
  nextAttemptAt: number | null;
}

export interface UpstreamOptions {
  /** The server's key under mcp_servers. */
  name: string;
  config: McpServerConfig;
  env: NodeJS.ProcessEnv;
  /** Lines for the operator: the server's stderr, restarts. */
  log: (line: string) => void;
  /** Called with the full listing after each connect and each announced change. */
  onListing: (tools: readonly Tool[]) => void;
}

export class Upstream {
  readonly #options: UpstreamOptions;
  #client: Client | null = null;
  #connecting: Promise<Client> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #failures = 0;
  #upSince = 0;
  #stderrTail = '';
  readonly status: UpstreamStatus = { state: 'idle', lastError: null, restarts: 0, nextAttemptAt: null };

  constructor(options: UpstreamOptions) {
    this.#options = options;
  }

  /**
   * A connected client: connects on first use, waits for a connection under way, and refuses
   * (UPSTREAM_UNAVAILABLE, with when the next restart is due) while the server is down.
   *
   * @example
   * await upstream.ready();
   */
  async ready(): Promise<Client> {
    if (this.#client) return this.#client;
    if (this.#connecting) return this.#connecting;
    if (this.status.state === 'closed') throw this.#unavailable('the gateway is shutting down');
    if (this.status.state === 'down') {
      const wait = Math.max(0, (this.status.nextAttemptAt ?? 0) - Date.now());
      throw this.#unavailable(`it is down (${this.status.lastError ?? 'no reason given'}); restarting in ${(wait / 1000).toFixed(1)} s`);
    }
    return this.#connect();
  }

  /**
   * Calls a tool by its upstream name. Only the arguments and an idempotency key in `_meta`
   * travel; the server's errors come back as TOOL_FAILED naming the server.
   *
   * @example
   * const result = await upstream.call('read_text_file', { path: '/srv/a.txt' }, { signal, idempotencyKey });
   */
  async call(tool: string, args: Record<string, unknown>, options: { signal: AbortSignal; idempotencyKey: string }): Promise<CallToolResult> {
    const client = await this.ready();
    try {
      return (await client.callTool({ name: tool, arguments: args, _meta: { 'dev.aosiq/idempotency-key': options.idempotencyKey } }, undefined, {
        signal: options.signal,
        timeout: this.#options.config.timeout_ms,
      })) as CallToolResult;
    } catch (error) {
      if (error instanceof AosError) throw error;
      throw new AosError('TOOL_FAILED', `upstream MCP server ${this.#options.name} failed the call to ${tool}: ${(error as Error).message}`, { server: this.#options.name, tool }, { cause: error });
    }
  }

  /** Stops the connection and any pending restart; the server process is ended. */
  async close(): Promise<void> {
    this.status.state = 'closed';
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const client = this.#client ?? (await this.#connecting?.catch(() => null));
    this.#client = null;
    await client?.close().catch(() => undefined);
  }

  #connect(): Promise<Client> {
    this.status.state = 'connecting';
    const attempt = this.#open().then(
      (client) => {
        this.#connecting = null;
        if (this.status.state === 'closed') {
          void client.close();
          throw this.#unavailable('the gateway is shutting down');
        }
        this.#client = client;
        this.#upSince = Date.now();
        this.status.state = 'up';
        this.status.nextAttemptAt = null;
        return client;
      },
      (error: unknown) => {
        this.#connecting = null;
        this.#failed(`could not start: ${(error as Error).message}${this.#tail()}`);
        throw this.#unavailable(this.status.lastError ?? 'could not start');
      },
    );
    this.#connecting = attempt;
    return attempt;
  }

  async #open(): Promise<Client> {
    const { config } = this.#options;
    const client = new Client({ name: 'aosiq-gateway', version: packageVersion() }, { capabilities: {} });
    const transport = this.#transport();
    client.onclose = () => {
      if (this.#client !== client) return;
      this.#client = null;
      if (this.status.state === 'closed') return;
      if (Date.now() - this.#upSince >= STABLE_MS) this.#failures = 0;
      this.#failed(`the connection closed${this.#tail()}`);
    };
    client.onerror = (error) => {
      if (this.status.state !== 'closed') this.#options.log(`error: ${error.message}`);
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      try {
        this.#options.onListing(await listAll(client, config.timeout_ms));
      } catch (error) {
        this.#options.log(`re-listing tools after a change failed: ${(error as Error).message}`);
      }
    });
    try {
      await client.connect(transport, { timeout: config.connect_timeout_ms });
      this.#options.onListing(await listAll(client, config.connect_timeout_ms));
      return client;
    } catch (error) {
      await client.close().catch(() => undefined);
      throw error;
    }
  }

  #transport(): Transport {
    const { config, env } = this.#options;
    if (config.url !== undefined) {
      const headers: Record<string, string> = {};
      for (const [header, variable] of Object.entries(config.headers_from_env)) headers[header] = env[variable] ?? '';
      // No redirects: a redirect could carry the configured headers to another host.
      return new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers, redirect: 'error' } });
    }
    const [command, ...args] = config.command!;
    const childEnv: Record<string, string> = {};
    for (const name of [...BASE_ENV, ...config.pass_env]) if (env[name] !== undefined) childEnv[name] = env[name];
    const transport = new StdioClientTransport({ command: command!, args, env: { ...childEnv, ...config.env }, stderr: 'pipe', ...(config.cwd ? { cwd: config.cwd } : {}) });
    transport.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.#stderrTail = line.trim().slice(0, 300);
        this.#options.log(line.trimEnd());
      }
    });
    return transport;
  }

  /** Marks the server down and schedules its restart after the back-off for this many failures. */
  #failed(reason: string): void {
    this.#failures += 1;
    const delay = Math.min(RESTART_BASE_MS * 2 ** (this.#failures - 1), RESTART_MAX_MS);
    this.status.state = 'down';
    this.status.lastError = reason;
    this.status.nextAttemptAt = Date.now() + delay;
    this.#options.log(`${reason}; restarting in ${delay} ms (failure ${this.#failures})`);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.status.state !== 'down') return;
      this.status.restarts += 1;
      this.#connect().catch(() => undefined);
    }, delay);
    this.#timer.unref();
  }

  #tail(): string {
    const tail = this.#stderrTail;
    this.#stderrTail = '';
    return tail ? ` (its last words: ${tail})` : '';
  }

  #unavailable(why: string): AosError {
    return new AosError('UPSTREAM_UNAVAILABLE', `upstream MCP server ${this.#options.name} is unavailable: ${why}`, {
      server: this.#options.name,
      nextAttemptAt: this.status.nextAttemptAt,
    });
  }
}

/** Every tool the server lists, following its pages (a bounded number of them). */
async function listAll(client: Client, timeout: number): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
    const listed = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout });
    tools.push(...listed.tools);
    cursor = listed.nextCursor;
    if (cursor === undefined) return tools;
  }
  throw new Error(`tools/list did not end within ${MAX_LIST_PAGES} pages`);
}
