import { AosError, isAosError } from '../errors.js';

/** Where a command reads standard input and writes; tests pass their own to capture output. */
export interface Io {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  out(text: string): void;
  err(text: string): void;
}

/**
 * A line writer for a stream of the process. Once the reader has gone (`aosiq scan doc.md | head -1`
 * closed the pipe), the rest of the output is dropped rather than thrown: the command still
 * finishes and exits with its own code (3 for a flagged document, which a pipeline under
 * `set -o pipefail` then sees), not with a stack trace.
 */
function lineWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let readerGone = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    readerGone = true;
  });
  return (text) => {
    if (!readerGone) stream.write(`${text}\n`);
  };
}

export const processIo: Io = {
  // A getter: process.stdin is set up on first use, and only commands that read it should.
  get input() {
    return process.stdin;
  },
  out: lineWriter(process.stdout),
  err: lineWriter(process.stderr),
};

/**
 * Prints a result: JSON for scripts (`--json`), otherwise the human lines.
 *
 * @example
 * emit(io, options.json, { actorId }, [`spawned ${actorId}`]);
 */
export function emit(io: Io, json: boolean | undefined, value: unknown, lines: string[]): void {
  if (json) io.out(JSON.stringify(value, null, 2));
  else for (const line of lines) io.out(line);
}

/** Turns any failure into one line on stderr (or a JSON error object) and the exit code for its error code. */
export function reportError(io: Io, json: boolean, error: unknown): number {
  const failure = isAosError(error)
    ? error
    : new AosError('INTERNAL', `unexpected error: ${(error as Error)?.stack ?? String(error)}`);
  if (json)
    io.err(
      JSON.stringify({ error: { code: failure.code, message: failure.message, details: failure.details } }),
    );
  else io.err(`aosiq: ${failure.code}: ${failure.message}`);
  return failure.exitCode;
}

/**
 * Parses a JSON option value, naming the option when it is not JSON.
 *
 * @example
 * parseJsonOption('--args', '{"path":"a.txt"}');
 */
export function parseJsonOption(option: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AosError(
      'INVALID_INPUT',
      `${option}: not valid JSON (${(error as Error).message}): ${text.slice(0, 80)}`,
      {
        field: option,
      },
    );
  }
}
