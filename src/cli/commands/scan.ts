import type { Command } from 'commander';
import { AosError } from '../../errors.js';
import { DEFAULT_THRESHOLD, type Detection, detectInjection } from '../../security/untrusted/index.js';
import { prefilterKind } from '../../security/untrusted/prefilter.js';
import type { Run } from '../context.js';
import type { Io } from '../output.js';
import { printable, printableJson } from '../printable.js';
import { BINARY_PROBE_BYTES, MAX_INPUT_BYTES, type NotScanned, readInput, STDIN_OPERAND } from './scan-input.js';

/** Exit code when any input is flagged (0: all clean). */
export const FLAGGED_EXIT_CODE = 3;
/** Exit code when any input was not scanned (unreadable, binary) or on a usage error. */
export const NOT_SCANNED_EXIT_CODE = 2;

type Entry = ({ file: string } & Detection) | { file: string; error: NotScanned };

/** What finds the anchor and trigger words here (docs/performance.md): the native scanner, or why not. */
function prefilterLine(): string {
  const kind = prefilterKind();
  return `Long text is prefiltered, and the rules' trigger words found, by ${kind.native ? `the native scanner${kind.simd ? ' (AVX2)' : ''}` : `JavaScript: the native scanner is ${kind.reason}`}.`;
}

const HELP = `
Each input is scanned and reported in turn. One that cannot be read (no such file, a directory,
permission denied) or is binary (a NUL byte in its first ${BINARY_PROBE_BYTES / 1024} KB, as grep decides; UTF-16 text
counts: convert it to UTF-8) or over ${MAX_INPUT_BYTES / 1048576} MB is not scanned: a line on stderr names it and why, and with --json
it is an entry {"file", "error": {"code", "message"}}. Exit status: 2 if any input was not
scanned (or on a usage error), else 3 if any is flagged, else 0.
Control, bidi and invisible characters in excerpts and names are shown as \\uXXXX escapes.

Examples:
  aosiq scan docs/*.md
  curl -s https://example.com/page | aosiq scan --json
  curl -s https://example.com/page | aosiq scan notes.md -
Scores, families and known limits: docs/threat-model.md.`;

function verdictLines(file: string, detection: Detection): string[] {
  const head = `${printable(file)}: ${detection.flagged ? 'FLAGGED' : 'clean'} (score ${detection.score}${detection.families.length ? `; ${detection.families.join(', ')}` : ''})`;
  const spans = detection.spans.map((span) => `  ${span.start}-${span.end}  ${span.rule}  ${printable(JSON.stringify(span.excerpt.length > 80 ? `${span.excerpt.slice(0, 80)}…` : span.excerpt))}`);
  return [head, ...spans];
}

function parseThreshold(value: string | undefined): number {
  const threshold = value === undefined ? DEFAULT_THRESHOLD : Number(value);
  if (!Number.isFinite(threshold) || threshold <= 0 || threshold > 1) {
    throw new AosError('INVALID_INPUT', `--threshold: expected a number above 0 and at most 1, got ${JSON.stringify(value)}`, { field: '--threshold', value });
  }
  return threshold;
}

/**
 * `aosiq scan [FILE...]`: the injection detector over documents (stdin when none, or for `-`), for
 * vetting text before it enters a knowledge base. Needs no configuration or store. Like grep, it
 * reports every input it can read and fails (exit 2) if it could not scan one: an unscanned
 * document never passes for a clean one.
 */
export function registerScan(program: Command, io: Io, run: Run, setExitCode: (code: number) => void): void {
  program
    .command('scan')
    .argument('[files...]', `files to scan; "${STDIN_OPERAND}" is standard input (the default when none is given)`)
    .description('scan text for prompt injection; exit 0 clean, 3 flagged, 2 not scanned or usage error')
    .option('--threshold <score>', `flag at or above this score: above 0, at most 1 (default ${DEFAULT_THRESHOLD})`)
    // The global --json (the program reads it wherever it is): listed here so scan's help shows it.
    .option('--json', 'print the results as JSON for scripts')
    .addHelpText('after', () => `${HELP}\n${prefilterLine()}\n`)
    .action(
      run(async (files: string[], options: { threshold?: string }, command: Command) => {
        const threshold = parseThreshold(options.threshold);
        const operands = files.length === 0 ? [STDIN_OPERAND] : files;
        const stdinCount = operands.filter((operand) => operand === STDIN_OPERAND).length;
        if (stdinCount > 1) {
          throw new AosError('INVALID_INPUT', `scan: "${STDIN_OPERAND}" (standard input) is given ${stdinCount} times; it can be read once`, { field: 'files', value: STDIN_OPERAND });
        }
        const json = command.optsWithGlobals<{ json?: boolean }>().json;
        const entries: Entry[] = [];
        for (const operand of operands) {
          const input = await readInput(operand, io);
          const entry: Entry = 'error' in input ? { file: input.name, error: input.error } : { file: input.name, ...detectInjection(input.text, threshold) };
          if ('error' in entry) io.err(`aosiq scan: ${printable(entry.file)}: ${entry.error.message}`);
          else if (!json) for (const line of verdictLines(entry.file, entry)) io.out(line);
          entries.push(entry);
        }
        if (json) io.out(printableJson(entries));
        if (entries.some((entry) => 'error' in entry)) setExitCode(NOT_SCANNED_EXIT_CODE);
        else if (entries.some((entry) => !('error' in entry) && entry.flagged)) setExitCode(FLAGGED_EXIT_CODE);
      }),
    );
}
