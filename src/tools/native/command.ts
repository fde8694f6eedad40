/**
 * Operator-configured commands as tools (`command.<name>`). The program and argv come from
 * aosiq.yaml; a caller only fills `{placeholders}` with strings of a safe alphabet. No shell
 * is involved, so quoting, globbing and `;` have no meaning here.
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

function execute(name: string, command: CommandConfig, argv: string[], context: ToolContext) {
  context.signal.throwIfAborted();
  const [program, ...rest] = argv as [string, ...string[]];
  const env = Object.fromEntries(
    INHERITED_VARIABLES.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])),
  );
  return new Promise<{ exit_code: number | null; stdout: string; stderr: string; truncated: boolean }>(
    (resolve, reject) => {
      const child = spawn(program, rest, { shell: false, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const stdout = capture(child.stdout, command.max_output_bytes);
      const stderr = capture(child.stderr, command.max_output_bytes);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, command.timeout_ms);
      const cancel = () => child.kill('SIGKILL');
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
        if (timedOut) {
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
          resolve({ exit_code: code, ...output, truncated: stdout.truncated() || stderr.truncated() });
        }
      });
    },
  );
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
