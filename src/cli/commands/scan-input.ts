import fs from 'node:fs';
import type { Io } from '../output.js';

/** The operand that names standard input, as in grep and cat. */
export const STDIN_OPERAND = '-';
/** How standard input is named in the output. */
export const STDIN_NAME = '(stdin)';
/** Input with a NUL byte this early is binary (as grep and git decide), and is not scanned. */
export const BINARY_PROBE_BYTES = 8192;
/** The most read from one input: a document for a knowledge base is far smaller; a mistaken disk image is not read whole. */
export const MAX_INPUT_BYTES = 64 * 1048576;
const TOO_LARGE: NotScanned = { code: 'TOO_LARGE', message: `more than ${MAX_INPUT_BYTES / 1048576} MB (${MAX_INPUT_BYTES} bytes); split it and scan the parts` };

/** Why an input was not scanned: an errno code (ENOENT, EISDIR, EACCES, ...), BINARY or TOO_LARGE. */
export interface NotScanned {
  code: string;
  message: string;
}

export type Input = { name: string; text: string } | { name: string; error: NotScanned };

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of its path is not a directory',
  ELOOP: 'too many levels of symbolic links',
};

/** What a failed read says to the operator: the reason in words and its code. */
export function readFailure(error: NodeJS.ErrnoException): NotScanned {
  const code = error.code ?? 'ERROR';
  return { code, message: `${REASONS[code] ?? error.message} (${code})` };
}

function decode(name: string, bytes: Buffer): Input {
  if (bytes.subarray(0, BINARY_PROBE_BYTES).includes(0)) {
    return { name, error: { code: 'BINARY', message: `binary file (a NUL byte in the first ${BINARY_PROBE_BYTES / 1024} KB), not scanned` } };
  }
  return { name, text: bytes.toString('utf8') };
}

async function readStdin(io: Io): Promise<Input> {
  // Someone at a terminal who typed `aosiq scan` would otherwise wait for output that never comes.
  if (io.input.isTTY) io.err('aosiq scan: reading standard input (end with Ctrl-D)');
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of io.input as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > MAX_INPUT_BYTES) return { name: STDIN_NAME, error: TOO_LARGE };
      chunks.push(chunk);
    }
  } catch (error) {
    return { name: STDIN_NAME, error: readFailure(error as NodeJS.ErrnoException) };
  }
  return decode(STDIN_NAME, Buffer.concat(chunks));
}

/**
 * Reads one operand of `aosiq scan`: a file, or standard input for `-`. A failure is returned,
 * not thrown, so the other inputs are still scanned.
 *
 * @example
 * const input = await readInput('notes.md', io);
 * if ('error' in input) io.err(`${input.name}: ${input.error.message}`);
 */
export async function readInput(operand: string, io: Io): Promise<Input> {
  if (operand === STDIN_OPERAND) return readStdin(io);
  try {
    if (fs.statSync(operand).size > MAX_INPUT_BYTES) return { name: operand, error: TOO_LARGE };
    return decode(operand, fs.readFileSync(operand));
  } catch (error) {
    return { name: operand, error: readFailure(error as NodeJS.ErrnoException) };
  }
}
