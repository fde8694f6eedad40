import { AosError, isAosError } from '../errors.js';

/** Where a command writes; tests pass their own to capture output. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
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
