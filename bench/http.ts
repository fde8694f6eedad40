/**
 * Governed no-op tool calls over HTTP at 64 connections, against the same calls made through the
 * in-process syscall in the same run. Both sides call fs.read of a 6-byte file (reversible, so
 * no approval; two durable audit rows per call) on one PostgreSQL scratch database, as 64
 * actors: one actor per connection (or per in-process worker), as 64 real agents would, since
 * the audit chain serialises the calls of one session. Prints throughput, the ratio
 * http/in-process, and p50/p99 latency of each (the HTTP latency is the client's: request sent
 * to response body read), and the CPU time per call of the benchmark process (the in-process
 * syscall, or the HTTP client) and of the server process.
 *
 * The server runs in a child process (`serve()`, enforced auth, logger off), so the client's
 * and the server's JavaScript do not share one event loop: in one process, the client's
 * request and response handling would be charged to the server's throughput. Both processes
 * open the same configuration, data directory (signing keys) and database; each has the
 * store's default pool (AOS_DB_POOL_SIZE, 20). The HTTP actors are spawned over the API with an
 * API key, the in-process ones through the syscall. The client is node:http rather than fetch
 * (less client CPU on a machine the client shares with the server and the database), with one
 * keep-alive agent of one socket per actor: 64 connections, each reused for every call of its
 * actor.
 *
 * Warm-up on both sides, then three alternating runs of each; the best run of each side is
 * shown. Any response other than 200, or any reconnection, fails the benchmark.
 *
 * Run: npm run bench:http   (PostgreSQL from AOS_BENCH_DATABASE_URL, else AOS_TEST_DATABASE_URL,
 * else postgres://postgres@127.0.0.1:5432/postgres; a scratch database is created and dropped.
 * AOS_BENCH_SERVER_PROFILE=<dir> writes a --cpu-prof profile of the server process there.)
 */

import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exampleConfig } from '../src/config/index.js';
import { openRuntime } from '../src/runtime.js';
import { createApiKey } from '../src/server/auth/index.js';
import { serve } from '../src/server/serve.js';
import { type Figures, measure, scratchDatabase, show } from './support.js';

const CONNECTIONS = 64;
const WARM_UP_OPS = 10;
const OPS_PER_CONNECTION = 60;
const RUNS = 3;
const TOOL = 'fs.read';
const ARGS = { path: 'hello.txt' };

interface Run {
  figures: Figures;
  /** CPU milliseconds per call of this process and of the server process during the run. */
  benchCpu: number;
  serverCpu: number;
}

interface ServerSetup {
  configPath: string;
  dataDir: string;
  databaseUrl: string;
}

/** The child: serves the runtime until the parent says stop (or goes away). */
async function serveChild(setup: ServerSetup): Promise<void> {
  const runtime = await openRuntime({ ...setup, env: {} });
  const server = await serve(runtime, { host: '127.0.0.1', port: 0, authMode: 'enforced', logger: false, say: () => {} });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server
      .close()
      .then(() => runtime.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
  };
  process.on('message', (message) => {
    if (message === 'stop') stop();
    if (message === 'cpu') process.send!({ cpu: cpuMicros() });
  });
  process.on('disconnect', stop);
  process.send!({ url: server.url });
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** The CPU time the server process has used so far, in microseconds. */
function serverCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (message: { cpu: number }) => resolve(message.cpu));
    child.send('cpu');
  });
}

/** Starts the server process and resolves with its URL once it listens. */
function startServer(setup: ServerSetup): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const profileDir = process.env.AOS_BENCH_SERVER_PROFILE;
  const child = fork(fileURLToPath(import.meta.url), ['--serve', JSON.stringify(setup)], {
    execArgv: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('message', (message: { url: string }) => resolve({ child, url: message.url, output: () => output }));
    child.once('exit', (code) => reject(new Error(`the server process exited with ${code} before listening:\n${output}`)));
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.send('stop');
  });
}

/** One HTTP/1.1 request on the given agent; resolves with the status and the whole body. */
function request(
  agent: http.Agent,
  url: URL,
  method: string,
  route: string,
  bearer: string,
  body: string,
  sockets: Set<Socket>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: route,
        agent,
        headers: {
          authorization: `Bearer ${bearer}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    req.on('socket', (socket) => sockets.add(socket));
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const scratch = await scratchDatabase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-bench-http-'));
  fs.mkdirSync(path.join(dir, 'workspace'));
  fs.writeFileSync(path.join(dir, 'workspace', 'hello.txt'), 'hello\n');
  fs.writeFileSync(path.join(dir, 'aosiq.yaml'), exampleConfig());
  const setup: ServerSetup = { configPath: path.join(dir, 'aosiq.yaml'), dataDir: path.join(dir, '.aosiq'), databaseUrl: scratch.url };
  // Opened first, so migrations and keys exist before the server process opens the same.
  const runtime = await openRuntime({ ...setup, env: {} });
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const agents = Array.from({ length: CONNECTIONS }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  try {
    server = await startServer(setup);
    const url = new URL(server.url);
    const { rows } = await runtime.db.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    console.log(`PostgreSQL ${rows[0]?.v}, Node ${process.version}, ${os.cpus().length} cores`);

    // In-process actors through the syscall; HTTP actors spawned over the API, as a client would.
    const local: string[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      local.push((await runtime.syscall.spawn({ className: 'reviewer', grants: [{ tool: TOOL }] })).token);
    }
    const { key } = await createApiKey(runtime.db, runtime.deps.clock, {
      name: 'bench-http',
      scopes: { spawn_classes: ['reviewer'], grants: [{ tool: TOOL }] },
      createdBy: 'bench',
    });
    const sockets = new Set<Socket>();
    const remote: string[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      const spawned = await request(agents[i]!, url, 'POST', '/api/v1/agents', key, JSON.stringify({ class: 'reviewer', grants: [{ tool: TOOL }] }), sockets);
      if (spawned.status !== 201) throw new Error(`spawning over HTTP answered ${spawned.status}: ${spawned.body}`);
      remote.push((JSON.parse(spawned.body) as { token: string }).token);
    }

    const inProcess = async (session: number): Promise<void> => {
      await runtime.syscall.callTool(local[session]!, TOOL, ARGS);
    };
    const body = JSON.stringify({ tool: TOOL, args: ARGS });
    const refused = new Map<number, number>();
    let firstRefusal = '';
    const overHttp = async (session: number): Promise<void> => {
      const response = await request(agents[session]!, url, 'POST', '/api/v1/calls', remote[session]!, body, sockets);
      if (response.status !== 200 || !(JSON.parse(response.body) as { call_id?: string }).call_id) {
        refused.set(response.status, (refused.get(response.status) ?? 0) + 1);
        firstRefusal ||= `${response.status} ${response.body}`;
      }
    };
    const check = (): void => {
      if (refused.size > 0) {
        const counts = [...refused].map(([status, n]) => `${n} x ${status}`).join(', ');
        throw new Error(`calls over HTTP not answered 200 with a call id: ${counts}; first: ${firstRefusal}`);
      }
      if (sockets.size !== CONNECTIONS) throw new Error(`expected ${CONNECTIONS} keep-alive connections, the client opened ${sockets.size}`);
    };

    // A run, with the CPU time each process spent on it per call (this process: the in-process
    // syscall, or the HTTP client; the server process: the API, or only its log sealer).
    const child = server.child;
    const run = async (op: (session: number) => Promise<void>, ops: number): Promise<Run> => {
      const [mine, theirs] = [cpuMicros(), await serverCpu(child)];
      const figures = await measure(CONNECTIONS, ops, op);
      const calls = CONNECTIONS * ops;
      return { figures, benchCpu: (cpuMicros() - mine) / calls / 1000, serverCpu: ((await serverCpu(child)) - theirs) / calls / 1000 };
    };
    // Warm both paths (connections, JIT, token caches, chain heads) before measuring.
    await run(inProcess, WARM_UP_OPS);
    await run(overHttp, WARM_UP_OPS);
    check();
    let bestLocal: Run | undefined;
    let bestHttp: Run | undefined;
    for (let i = 0; i < RUNS; i++) {
      const ours = await run(inProcess, OPS_PER_CONNECTION);
      const theirs = await run(overHttp, OPS_PER_CONNECTION);
      check();
      if (!bestLocal || ours.figures.throughput > bestLocal.figures.throughput) bestLocal = ours;
      if (!bestHttp || theirs.figures.throughput > bestHttp.figures.throughput) bestHttp = theirs;
    }
    console.log(
      `\n${CONNECTIONS} actors, ${CONNECTIONS * OPS_PER_CONNECTION} ${TOOL} calls per run, best of ${RUNS} alternating runs:`,
    );
    console.log(show('in-process syscall', bestLocal!.figures));
    console.log(show(`HTTP, ${CONNECTIONS} keep-alive connections`, bestHttp!.figures));
    console.log(`throughput ratio http/in-process: ${(bestHttp!.figures.throughput / bestLocal!.figures.throughput).toFixed(2)}`);
    console.log(
      `CPU per call: in-process ${bestLocal!.benchCpu.toFixed(2)} ms (+ server process idle ${bestLocal!.serverCpu.toFixed(2)} ms); ` +
        `HTTP client ${bestHttp!.benchCpu.toFixed(2)} ms + server ${bestHttp!.serverCpu.toFixed(2)} ms`,
    );
  } finally {
    for (const agent of agents) agent.destroy();
    if (server) await stopServer(server.child);
    await runtime.close();
    await scratch.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const said = server!.output();
  if (said !== '') throw new Error(`the server process printed output (it should log nothing):\n${said}`);
}

if (process.argv[2] === '--serve') await serveChild(JSON.parse(process.argv[3]!) as ServerSetup);
else await main();
