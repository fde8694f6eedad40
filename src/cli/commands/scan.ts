import type { Command } from 'commander';
import { AosError } from '../../errors.js';
import { DEFAULT_THRESHOLD, type Detection, detectInjection } from '../../security/untrusted/index.js';
import { prefilterKind } from '../../security/untrusted/prefilter.js';
import type { Run } from '../context.js';
import { readOptionFile } from '../files.js';
import { emit, type Io } from '../output.js';

/** Exit code when any input is flagged (0: all clean, 2: usage error). */
export const FLAGGED_EXIT_CODE = 3;
const MAX_STDIN_BYTES = 64 * 1048576;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > MAX_STDIN_BYTES) throw new AosError('INVALID_INPUT', `stdin: more than ${MAX_STDIN_BYTES} bytes; scan files instead`, { field: 'stdin' });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** What finds the anchor and trigger words here (docs/performance.md): the native scanner, or why not. */
function prefilterLine(): string {
  const kind = prefilterKind();
  return `Long text is prefiltered, and the rules' trigger words found, by ${kind.native ? `the native scanner${kind.simd ? ' (AVX2)' : ''}` : `JavaScript: the native scanner is ${kind.reason}`}.`;
}

function lines(name: string, detection: Detection): string[] {
  const head = `${name}: ${detection.flagged ? 'FLAGGED' : 'clean'} (score ${detection.score}${detection.families.length ? `; ${detection.families.join(', ')}` : ''})`;
  const spans = detection.spans.map((span) => `  ${span.start}-${span.end}  ${span.rule}  ${JSON.stringify(span.excerpt.length > 80 ? `${span.excerpt.slice(0, 80)}…` : span.excerpt)}`);
  return [head, ...spans];
}

/**
 * `aosiq scan [FILE...]`: the injection detector over documents (stdin when none), for vetting
 * text before it enters a knowledge base. Needs no configuration or store.
 */
export function registerScan(program: Command, io: Io, run: Run, setExitCode: (code: number) => void): void {
  program
    .command('scan [files...]')
    .description('scan text for prompt injection (stdin when no file); exit 0 clean, 3 flagged, 2 usage error')
    .option('--threshold <score>', `flag at or above this score, 0 to 1 (default ${DEFAULT_THRESHOLD})`)
    .addHelpText('after', () => `\nExamples:\n  aosiq scan docs/*.md\n  curl -s https://example.com/page | aosiq scan --json\nScores, families and known limits: docs/threat-model.md.\n${prefilterLine()}\n`)
    .action(
      run(async (files: string[], options: { threshold?: string }, command: Command) => {
        const threshold = options.threshold === undefined ? DEFAULT_THRESHOLD : Number(options.threshold);
        if (!Number.isFinite(threshold) || threshold <= 0 || threshold > 1) {
          throw new AosError('INVALID_INPUT', `--threshold: expected a number above 0 and at most 1, got ${JSON.stringify(options.threshold)}`, { field: '--threshold', value: options.threshold });
        }
        const inputs = files.length === 0 ? [{ name: '(stdin)', text: await readStdin() }] : files.map((file) => ({ name: file, text: readOptionFile('scan', file) }));
        const results = inputs.map((input) => ({ file: input.name, ...detectInjection(input.text, threshold) }));
        emit(io, command.optsWithGlobals<{ json?: boolean }>().json, results, results.flatMap((result) => lines(result.file, result)));
        if (results.some((result) => result.flagged)) setExitCode(FLAGGED_EXIT_CODE);
      }),
    );
}
