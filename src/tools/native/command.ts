/**
 * Operator-configured commands as tools (`command.<name>`). The program and argv come from
 * aosiq.yaml; a caller only fills `{placeholders}` with strings of a safe alphabet. The argv
 * reaches the program as positional parameters of a fixed wrapper script (`"$@"`), never as
 * shell text, so quoting, globbing and `;` have no meaning here. The wrapper exists to measure:
 * after the program exits it reports the CPU time of the program and everything it waited for
 * (POSIX `times`) on a private descriptor, which Node's child_process does not expose.
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { type CommandConfig, PLACEHOLDER_PATTERN } from '../../config/schema.js';
import { AosError } from '../../errors.js';
import type { ToolContext, ToolDefinition } from '../types.js';

/** Letters, digits and `. _ : @ / -`; a leading "-" is refused so no value reads as an option. */
export const ARGUMENT_PATTERN = /^[A-Za-z0-9._:@/-]{1,256}$/;

/** Variables a command inherits; the rest of the runtime's environment (keys, URLs) stays out. */
const INHERITED_VARIABLES = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ'];

const argumentField = z
  .string()
  .regex(ARGUMENT_PATTERN, {
    error: 'expected 1-256 characters of letters, digits, ".", "_", ":", "@", "/" or "-"',
  })
  .refine((value) => !value.startsWith('-'), {
    error: 'must not start with "-" (it would read as an option)',
  });

/**
 * One tool per configured command.
 *
 * @example
 * createCommandTools({ announce: { argv: ['echo', '{message}'], blast_radius: 'low', reason: 'prints', timeout_ms: 30000, max_output_bytes: 65536 } });
 */
export function createCommandTools(commands: Record<string, CommandConfig>): ToolDefinition[] {
  return Object.entries(commands).map(([name, command]) => createCommandTool(name, command));
}

/**
 * The placeholder names in an argv, in order of first appearance.
 *
 * @example
 * placeholdersOf(['systemctl', 'restart', '{service}']); // ['service']
 */
export function placeholdersOf(argv: readonly string[]): string[] {
  const names = argv.flatMap((part) => [...part.matchAll(PLACEHOLDER_PATTERN)].map((match) => match[1]!));
  return [...new Set(names)];
}

function createCommandTool(name: string, command: CommandConfig): ToolDefinition<Record<string, string>> {
  const placeholders = placeholdersOf(command.argv);
  const input = z.strictObject(
    Object.fromEntries(placeholders.map((placeholder) => [placeholder, argumentField])),
  );
  return {
    name: `command.${name}`,
    description: command.description ?? `Runs: ${command.argv.join(' ')}`,
    input: input,
    reversible: false,
    blastRadius: { level: command.blast_radius, reason: command.reason },
    run: (args, context) => execute(name, command, fillArgv(command.argv, args), context),
  };
}

function fillArgv(argv: readonly string[], args: Record<string, string>): string[] {
  return argv.map((part) =>
    part.replace(PLACEHOLDER_PATTERN, (_, placeholder: string) => args[placeholder]!),
  );
}

/**
 * Runs "$@" with descriptor 3 closed, then writes to descriptor 3 either `missing` (no such
 * program) or the `times` report and the program's exit status.
 */
const WRAPPER = [
  'command -v -- "$1" >/dev/null 2>&1 || { echo missing >&3; exit 127; }',
  '"$@" 3>&-',
  'status=$?',
  'times >&3',
  'echo "$status" >&3',
].join('\n');

function execute(name: string, command: CommandConfig, argv: string[], context: ToolContext) {
  context.signal.throwIfAborted();
  const program = argv[0]!;
  const env = {
    ...Object.fromEntries(INHERITED_VARIABLES.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : []))),
    // The same on every attempt of one step: a command can use it to apply its effect once.
    AOSIQ_IDEMPOTENCY_KEY: context.idempotencyKey,
  };
  return new Promise<{ exit_code: number | null; stdout: string; stderr: string; truncated: boolean }>(
    (resolve, reject) => {
      // Its own process group, so a timeout or a kill reaches the program and its children too.
      const child = spawn('/bin/sh', ['-c', WRAPPER, 'aosiq-command', ...argv], {
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      });
      const stdout = capture(child.stdout!, command.max_output_bytes);
      const stderr = capture(child.stderr!, command.max_output_bytes);
      const report = capture(child.stdio[3] as NodeJS.ReadableStream, 4096);
      let timedOut = false;
      const killGroup = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // Already gone.
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, command.timeout_ms);
      const cancel = () => killGroup();
      context.signal.addEventListener('abort', cancel, { once: true });
      child.on('error', (error) => {
        clearTimeout(timer);
        context.signal.removeEventListener('abort', cancel);
        reject(
          new AosError(
            'TOOL_FAILED',
            `command.${name} could not start "${program}": ${error.message}`,
            { command: name },
            { cause: error },
          ),
        );
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        context.signal.removeEventListener('abort', cancel);
        const output = { stdout: stdout.text(), stderr: stderr.text() };
        const outcome = parseReport(report.text());
        if (outcome.cpuMs !== null && context.usage) context.usage.cpuMs = outcome.cpuMs;
        if (outcome.missing) {
          reject(
            new AosError('TOOL_FAILED', `command.${name} could not start "${program}": not found or not executable`, {
              command: name,
            }),
          );
        } else if (timedOut) {
          reject(
            new AosError(
              'TOOL_FAILED',
              `command.${name} timed out after ${command.timeout_ms} ms and was killed`,
              { command: name, ...output },
            ),
          );
        } else if (code === null) {
          reject(
            new AosError('TOOL_FAILED', `command.${name} was killed by ${signal}`, {
              command: name,
              ...output,
            }),
          );
        } else {
          const exitCode = outcome.status ?? code;
          resolve({ exit_code: exitCode, ...output, truncated: stdout.truncated() || stderr.truncated() });
        }
      });
    },
  );
}

const TIMES_LINE = /^(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s$/;

/**
 * Reads the wrapper's report: `times` prints the shell's own user/system times, then its
 * children's; the children's line is the program's CPU. Absent (e.g. killed), CPU is null.
 *
 * @example
 * parseReport('0m0.00s 0m0.00s\n0m0.16s 0m0.02s\n0\n'); // { missing: false, cpuMs: 180, status: 0 }
 */
export function parseReport(text: string): { missing: boolean; cpuMs: number | null; status: number | null } {
  const lines = text.trim().split('\n');
  if (lines[0] === 'missing') return { missing: true, cpuMs: null, status: null };
  const children = TIMES_LINE.exec(lines[1] ?? '');
  const status = /^\d+$/.test(lines[2] ?? '') ? Number(lines[2]) : null;
  if (!children) return { missing: false, cpuMs: null, status };
  const seconds =
    Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4]);
  return { missing: false, cpuMs: Math.round(seconds * 1000), status };
}

/** Keeps the first `limit` bytes of a stream and keeps draining it so the child never blocks. */
function capture(stream: NodeJS.ReadableStream, limit: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let dropped = false;
  stream.on('data', (chunk: Buffer) => {
    const room = limit - size;
    if (chunk.length > room) dropped = true;
    if (room > 0) {
      chunks.push(chunk.subarray(0, room));
      size += Math.min(chunk.length, room);
    }
  });
  return { text: () => Buffer.concat(chunks).toString('utf8'), truncated: () => dropped };
}
