/**
 * A runtime (example configuration, embedded database) served over real HTTP on a free
 * loopback port, for the API tests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exampleConfig } from '../../src/config/index.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import type { AuthMode } from '../../src/server/auth/index.js';
import { createApiKey } from '../../src/server/auth/index.js';
import { type Server, serve } from '../../src/server/serve.js';

export interface TestServer {
  runtime: Runtime;
  server: Server;
  dir: string;
  /** fetch against the server; `key` becomes the bearer credential, `body` is sent as JSON. */
  request(method: string, url: string, options?: { key?: string | undefined; body?: unknown; raw?: string }): Promise<{ status: number; headers: Headers; body: any }>;
  key(name: string, scopes: Record<string, unknown>): Promise<string>;
  count(sql: string, params?: unknown[]): Promise<number>;
  stop(): Promise<void>;
}

export async function startTestServer(
  authMode: AuthMode = 'enforced',
  options: {
    config?: (yaml: string) => string;
    env?: NodeJS.ProcessEnv;
    /** The runtime's own environment (what upstream MCP servers may be given); empty by default. */
    runtimeEnv?: NodeJS.ProcessEnv;
    /** Runs in the prepared folder before the runtime opens it (e.g. pinning upstream tools). */
    before?: (dir: string) => Promise<void>;
    /** A PostgreSQL database to keep the data in; the embedded one (PGlite) when unset. */
    databaseUrl?: string;
  } = {},
): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-http-'));
  fs.mkdirSync(path.join(dir, 'workspace', 'tmp'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'aosiq.yaml'), (options.config ?? ((yaml) => yaml))(exampleConfig()));
  await options.before?.(dir);
  const runtime = await openRuntime({ configPath: path.join(dir, 'aosiq.yaml'), dataDir: path.join(dir, '.aosiq'), databaseUrl: options.databaseUrl, env: options.runtimeEnv ?? {} });
  const server = await serve(runtime, { host: '127.0.0.1', port: 0, authMode, logger: false, say: () => {}, env: options.env ?? {}, deliveryIntervalMs: 50 });
  return {
    runtime,
    server,
    dir,
    async request(method, url, options = {}) {
      const headers: Record<string, string> = {};
      if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
      let body: string | undefined;
      if (options.raw !== undefined || options.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = options.raw ?? JSON.stringify(options.body);
      }
      const response = await fetch(`${server.url}${url}`, { method, headers, body });
      const text = await response.text();
      const type = response.headers.get('content-type') ?? '';
      return { status: response.status, headers: response.headers, body: type.includes('json') && text ? JSON.parse(text) : text };
    },
    async key(name, scopes) {
      return (await createApiKey(runtime.db, runtime.deps.clock, { name, scopes, createdBy: 'test' })).key;
    },
    async count(sql, params = []) {
      const { rows } = await runtime.db.query<{ n: number }>(sql, params);
      return Number(rows[0]!.n);
    },
    async stop() {
      await server.close();
      await runtime.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
