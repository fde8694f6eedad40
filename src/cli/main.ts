import { Command, CommanderError } from 'commander';
import { registerActors } from './commands/actors.js';
import { registerApprovals } from './commands/approvals.js';
import { registerAudit } from './commands/audit.js';
import { registerCosts } from './commands/costs.js';
import { registerInit } from './commands/init.js';
import { registerKeys } from './commands/keys.js';
import { registerMcp } from './commands/mcp.js';
import { registerMcpServers } from './commands/mcp-servers.js';
import { registerScan } from './commands/scan.js';
import { registerServe } from './commands/serve.js';
import { registerStart } from './commands/start.js';
import { registerTools } from './commands/tools.js';
import { registerWorkflows } from './commands/workflows.js';
import type { Run } from './context.js';
import { type Io, processIo, reportError } from './output.js';

/**
 * Builds the `aosiq` command. Every action's failure is reported once, here, and becomes the
 * exit code mapped from its error code.
 */
export function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const program = new Command('aosiq')
    .description('AOSIQ: capability-authorization runtime for AI agents and deterministic actors')
    .option(
      '-c, --config <file>',
      'configuration file (env AOS_CONFIG)',
      process.env.AOS_CONFIG ?? 'aosiq.yaml',
    )
    .option(
      '-d, --data-dir <dir>',
      'data directory: embedded database, signing keys (env AOS_DATA_DIR)',
      process.env.AOS_DATA_DIR ?? '.aosiq',
    )
    .option('--json', 'print results as JSON for scripts')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    })
    .exitOverride();

  const run: Run =
    (fn) =>
    async (...args) => {
      try {
        await fn(...args);
      } catch (error) {
        setExitCode(reportError(io, Boolean(program.opts().json), error));
      }
    };

  registerInit(program, io, run);
  registerStart(program, io, run);
  registerActors(program, io, run);
  registerApprovals(program, io, run);
  registerAudit(program, io, run);
  registerCosts(program, io, run);
  registerKeys(program, io, run);
  registerMcp(program, io, run);
  registerMcpServers(program, io, run);
  registerScan(program, io, run, setExitCode);
  registerServe(program, io, run);
  registerTools(program, io, run);
  registerWorkflows(program, io, run);
  return program;
}

/**
 * Runs the CLI with `argv` (as process.argv) and resolves to the exit code.
 *
 * @example
 * process.exitCode = await main(process.argv);
 */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    return reportError(io, false, error);
  }
  return exitCode;
}
