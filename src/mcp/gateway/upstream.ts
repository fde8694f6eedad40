/**
 * One connection to an upstream MCP server, as an MCP client: started when first needed, its
 * tool listing kept current (at connect, whenever the server announces a change, and at least
 * every list_max_age_seconds, since a stateless HTTP server announces nothing), and restarted with
 * doubling back-off when it fails. Nothing of the caller's reaches the server but the tool
 * arguments: the program gets a minimal environment, an HTTP server only the headers the
 * operator configured.
 */
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from '../../config/index.js';
import { AosError } from '../../errors.js';
import { packageVersion } from '../../version.js';

/** The first restart waits this long; each further failure doubles it, up to RESTART_MAX_MS. */
export const RESTART_BASE_MS = 250;
const RESTART_MAX_MS = 30_000;
/** A connection that stayed up this long failed afresh: its back-off starts again from the base. */
const STABLE_MS = 30_000;
const MAX_LIST_PAGES = 50;
/** Variables a stdio server gets from our environment besides pass_env (the SDK adds HOME, LOGNAME, PATH, SHELL, TERM, USER of its own process). */
const BASE_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'TMPDIR'];

/**
 * The MCP SDK's client (with its schemas, half a second to load) loads with the first upstream
 * connection, not with every command of a runtime that may have no upstream server at all.
 */
async function loadSdk() {
  const [client, stdio, http, types] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/stdio.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]);
  const { ErrorCode, McpError } = types;
  /** JSON-RPC errors a server sends about the request itself: it answered, the connection is fine. */
  const answered = new Set<number>([ErrorCode.InvalidParams, ErrorCode.InvalidRequest, ErrorCode.MethodNotFound, ErrorCode.InternalError, ErrorCode.ParseError, ErrorCode.RequestTimeout]);
  return {
    Client: client.Client,
    StdioClientTransport: stdio.StdioClientTransport,
    StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
    ToolListChangedNotificationSchema: types.ToolListChangedNotificationSchema,
    /** The JSON-RPC code of an error the server answered with; null for a lost connection or a local failure. */
    answeredCode: (error: unknown): number | null => (error instanceof McpError && answered.has(error.code) ? error.code : null),
    requestTimeout: ErrorCode.RequestTimeout as number,
  };
}
type Sdk = Awaited<ReturnType<typeof loadSdk>>;
let sdkLoading: Promise<Sdk> | undefined;
/** Set once loaded: every client, and so every error from one, comes after that. */
let loaded: Sdk | undefined;
const sdk = () => (sdkLoading ??= loadSdk().then((module) => (loaded = module)));

export type UpstreamState = 'idle' | 'connecting' | 'up' | 'down' | 'closed';

export interface UpstreamStatus {
  state: UpstreamState;
  /** Why the last connection ended or failed to start, with the server's last stderr line (for operators only). */
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
  /** Called with each listing that becomes current. */
  onListing: (tools: readonly Tool[]) => void;
}

interface Listing {
  tools: readonly Tool[] | null;
  at: number;
  /** The listing being fetched, if any; a verification waits for it. */
  pending: Promise<void> | null;
  seq: number;
}

export class Upstream {
  readonly #options: UpstreamOptions;
  #client: Client | null = null;
  /** The client being opened or in use: only its notifications and listings count. */
  #current: Client | null = null;
  #connecting: Promise<Client> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #failures = 0;
  #upSince = 0;
  #stderrTail = '';
  #listing: Listing = { tools: null, at: 0, pending: null, seq: 0 };
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
      throw this.#unavailable(`it is down; restarting in ${(wait / 1000).toFixed(1)} s`);
    }
    return this.#connect();
  }

  /**
   * The server's current tool listing: waits for a listing in flight, fetches a new one when the
   * last is older than list_max_age_seconds or was invalidated by a change notification, and refuses
   * (UPSTREAM_UNAVAILABLE) when it cannot list, never answering from a stale one.
   *
   * @example
   * const tools = await upstream.tools();
   */
  async tools(): Promise<readonly Tool[]> {
    const client = await this.ready();
    if (this.#listing.pending) await this.#listing.pending;
    if (this.#listing.tools === null || Date.now() - this.#listing.at > this.#options.config.list_max_age_seconds * 1000) await this.#relist(client);
    if (this.#listing.tools === null) throw this.#unavailable('its tools could not be listed');
    return this.#listing.tools;
  }

  /**
   * Calls a tool by its upstream name. Only the arguments and an idempotency key in `_meta`
   * travel. A server's error answer is TOOL_FAILED; a lost connection also restarts it.
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
      const { answeredCode, requestTimeout } = loaded!;
      const code = answeredCode(error);
      if (code === null && !options.signal.aborted) this.#lost(client, `the call to ${tool} failed: ${(error as Error).message}`);
      const maybe = code !== null && code !== requestTimeout ? '' : '; its effect may or may not have happened';
      throw new AosError('TOOL_FAILED', `upstream MCP server ${this.#options.name} failed the call to ${tool}: ${(error as Error).message}${maybe}`, { server: this.#options.name, tool }, { cause: error });
    }
  }

  /** Stops the connection and any pending restart, and waits for the server process to end. */
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
      async (client) => {
        this.#connecting = null;
        if (this.status.state === 'closed') {
          await client.close().catch(() => undefined);
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
        if (this.status.state === 'closed') throw this.#unavailable('the gateway is shutting down');
        this.#failed(`could not start: ${(error as Error).message}${this.#tail()}`);
        throw this.#unavailable('it could not be started');
      },
    );
    this.#connecting = attempt;
    return attempt;
  }

  async #open(): Promise<Client> {
    const { config } = this.#options;
    const module = await sdk();
    const client = new module.Client({ name: 'aosiq-gateway', version: packageVersion() }, { capabilities: {} });
    const transport = this.#transport(module);
    this.#current = client;
    client.onclose = () => {
      if (this.#client !== client || this.status.state === 'closed') return;
      this.#client = null;
      if (Date.now() - this.#upSince >= STABLE_MS) this.#failures = 0;
      this.#failed(`the connection closed${this.#tail()}`);
    };
    client.onerror = (error) => {
      if (this.status.state !== 'closed') this.#options.log(`error: ${error.message}`);
    };
    // A change invalidates the listing at once: until the new one is in, nothing verifies.
    client.setNotificationHandler(module.ToolListChangedNotificationSchema, async () => {
      if (client === this.#current) await this.#relist(client);
    });
    try {
      await client.connect(transport, { timeout: config.connect_timeout_ms });
      this.#listing = { tools: null, at: 0, pending: null, seq: this.#listing.seq };
      await this.#relist(client);
      if (this.#listing.tools === null) throw new Error('tools/list failed');
      return client;
    } catch (error) {
      await client.close().catch(() => undefined);
      throw error;
    }
  }

  /** Fetches the listing; only the newest request of the current client may set it. */
  #relist(client: Client): Promise<void> {
    const seq = ++this.#listing.seq;
    this.#listing.tools = null;
    const pending = listAll(client, this.#options.config.connect_timeout_ms).then(
      (tools) => {
        if (seq !== this.#listing.seq || client !== this.#current || this.status.state === 'closed') return;
        this.#listing = { tools, at: Date.now(), pending: null, seq };
        this.#options.onListing(tools);
      },
      (error: Error) => {
        if (seq !== this.#listing.seq) return;
        this.#listing.pending = null;
        this.#options.log(`listing its tools failed: ${error.message}`);
        // Not an answer from the server: the connection is gone (an HTTP server stopped, say).
        if (loaded!.answeredCode(error) === null) this.#lost(client, `listing its tools failed: ${error.message}`);
      },
    );
    this.#listing.pending = pending;
    return pending;
  }

  #transport({ StdioClientTransport, StreamableHTTPClientTransport }: Sdk): Transport {
    const { config, env } = this.#options;
    if (config.url !== undefined) {
      const headers: Record<string, string> = {};
      for (const [header, variable] of Object.entries(config.headers_from_env)) {
        const value = env[variable];
        if (!value) throw new Error(`environment variable ${variable} (mcp_servers.${this.#options.name}.headers_from_env.${header}) is not set`);
        headers[header] = value;
      }
      // No redirects: a redirect could carry the configured headers to another host.
      return new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers, redirect: 'error' } });
    }
    const [command, ...args] = config.command!;
    const childEnv: Record<string, string> = {};
    for (const name of [...BASE_ENV, ...config.pass_env]) if (env[name] !== undefined) childEnv[name] = env[name];
    const transport = new StdioClientTransport({
      command: command!,
      args,
      env: { ...childEnv, ...config.env },
      stderr: 'pipe',
      // A frame holds a result's content twice at most (content and structuredContent).
      maxBufferSize: 2 * config.max_result_bytes + 65536,
      ...(config.cwd ? { cwd: config.cwd } : {}),
    });
    if (transport.stderr) {
      readline.createInterface({ input: transport.stderr as Readable }).on('line', (line) => {
        if (line.trim() === '') return;
        this.#stderrTail = line.trim().slice(0, 300);
        this.#options.log(line.trimEnd().slice(0, 2000));
      });
    }
    return transport;
  }

  /** The connection failed while in use: drop it and restart. */
  #lost(client: Client, reason: string): void {
    if (this.#client !== client || this.status.state === 'closed') return;
    this.#client = null;
    void client.close().catch(() => undefined);
    this.#failed(reason);
  }

  /** Marks the server down and schedules its restart after the back-off for this many failures. */
  #failed(reason: string): void {
    this.#failures += 1;
    const delay = Math.min(RESTART_BASE_MS * 2 ** (this.#failures - 1), RESTART_MAX_MS);
    this.#listing = { tools: null, at: 0, pending: null, seq: this.#listing.seq + 1 };
    this.status.state = 'down';
    this.status.lastError = reason;
    this.status.nextAttemptAt = Date.now() + delay;
    this.#options.log(`${reason}; restarting in ${delay} ms (failure ${this.#failures})`);
    if (this.#timer) clearTimeout(this.#timer);
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

  /** For callers (agents, the audit log): no stderr of the server, which may echo its own secrets. */
  #unavailable(why: string): AosError {
    return new AosError('UPSTREAM_UNAVAILABLE', `upstream MCP server ${this.#options.name} is unavailable: ${why} (operators: aosiq mcp-servers list, and AOSIQ's stderr)`, {
      server: this.#options.name,
      nextAttemptAt: this.status.nextAttemptAt,
    });
  }
}

/** Every tool the server lists, following its pages (a bounded number of them); a name listed twice is refused. */
async function listAll(client: Client, timeout: number): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
    const listed = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout });
    tools.push(...listed.tools);
    cursor = listed.nextCursor;
    if (cursor === undefined) {
      const names = new Set(tools.map((tool) => tool.name));
      if (names.size !== tools.length) throw new Error('the server listed a tool name twice');
      return tools;
    }
  }
  throw new Error(`tools/list did not end within ${MAX_LIST_PAGES} pages`);
}
