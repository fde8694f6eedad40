import type { Command } from 'commander';
import { AosError } from '../../errors.js';
import { parseAuthMode } from '../../server/auth/index.js';
import { type GlobalOptions, globalOptions, openCliRuntime, type Run } from '../context.js';
import type { Io } from '../output.js';

function parsePort(value: string, source: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535) {
    throw new AosError('INVALID_INPUT', `${source}: expected a port number 0-65535, got ${JSON.stringify(value)}`, { field: source });
  }
  return port;
}

export interface ServeCliOptions {
  host: string;
  port: string;
  logLevel: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** Serves the API over the runtime the global options name until SIGINT or SIGTERM. */
export async function serveUntilSignal(global: GlobalOptions, options: ServeCliOptions, io: Io): Promise<void> {
  const authMode = parseAuthMode(process.env.AOS_AUTH_MODE);
  const port = parsePort(options.port, '--port');
  if (!LOG_LEVELS.includes(options.logLevel)) {
    throw new AosError('INVALID_INPUT', `--log-level: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(options.logLevel)}`, { field: '--log-level' });
  }
  const runtime = await openCliRuntime(global);
  try {
    // The HTTP server's modules load only when one is served.
    const { serve } = await import('../../server/serve.js');
    const server = await serve(runtime, { host: options.host, port, authMode, logger: { level: options.logLevel }, say: (line) => io.err(line) });
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        io.err(`${signal}: finishing in-flight requests, sealing the audit log`);
        server.close().then(resolve, resolve);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
  } finally {
    await runtime.close();
  }
}

/** The --host, --port and --log-level options `serve` and `start` share. */
export function withServeOptions(command: Command): Command {
  return command
    .option('--host <host>', 'address to bind (env AOS_HOST)', process.env.AOS_HOST || '127.0.0.1')
    .option('--port <port>', 'port (env AOS_PORT; 0 picks a free one)', process.env.AOS_PORT || '7400')
    .option('--log-level <level>', 'fatal | error | warn | info | debug (env AOS_LOG_LEVEL)', process.env.AOS_LOG_LEVEL || 'info');
}

/** `aosiq serve`: the HTTP API, until SIGINT or SIGTERM; in-flight requests finish first. */
export function registerServe(program: Command, io: Io, run: Run): void {
  withServeOptions(
    program
      .command('serve')
      .description('serve the HTTP API and the operator dashboard at / (auth from AOS_AUTH_MODE: enforced, the default | warn | disabled on loopback only)'),
  )
    .addHelpText('after', '\nExample:\n  aosiq keys api create ops --classes "*" --approve --audit --admin\n  AOS_PORT=8080 aosiq serve\nThe dashboard (http://HOST:PORT/) signs in with an API key, or with OIDC when auth.oidc.dashboard is set: docs/dashboard.md.\n')
    .action(run(async (options: ServeCliOptions, command: Command) => serveUntilSignal(globalOptions(command), options, io)));
}
