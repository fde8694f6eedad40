import { type Command, Option } from 'commander';
import { AosError } from '../../errors.js';
import { ROLLUP_DIMENSIONS, type RollupDimension, rollup, type RollupRow } from '../../ledger/index.js';
import { type Run, withRuntime } from '../context.js';
import { emit, type Io } from '../output.js';

/**
 * A date option: an ISO 8601 date (`2026-11-01`, UTC midnight) or date-time with an offset.
 *
 * @example
 * parseInstant('--since', '2026-11-01'); // 2026-11-01T00:00:00.000Z
 */
export function parseInstant(option: string, text: string): Date {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
  const date = new Date(iso);
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text) || Number.isNaN(date.getTime())) {
    throw new AosError('INVALID_INPUT', `${option}: expected a date such as 2026-11-01 or 2026-11-01T09:00:00Z, got ${JSON.stringify(text)}`, {
      field: option,
      value: text,
    });
  }
  return date;
}

function table(rows: RollupRow[], by: RollupDimension): string[] {
  if (rows.length === 0) return ['no spend recorded for this selection'];
  const head = [by, 'entries', 'usd', 'unpriced', 'estimated', 'tokens in', 'tokens out', 'wall ms', 'cpu ms'];
  const body = rows.map((row) => [row.key, row.entries, row.usd, row.unpriced, row.estimated, row.input_tokens, row.output_tokens, row.wall_ms, row.cpu_ms].map(String));
  const widths = head.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  const notes = [];
  if (rows.some((row) => row.unpriced > 0)) notes.push('unpriced entries are not in the usd column: their cost is unknown, not zero');
  if (rows.some((row) => row.estimated > 0)) notes.push('estimated entries were charged their reserved worst case: the provider reported no usage');
  return [line(head), ...body.map(line), ...notes];
}

export function registerCosts(program: Command, io: Io, run: Run): void {
  program
    .command('costs')
    .description('spend from the ledger (model calls and tool compute), rolled up')
    .addOption(new Option('--by <dimension>', 'group by').choices([...ROLLUP_DIMENSIONS]).default('class'))
    .option('--since <date>', 'from this date or instant (UTC), inclusive')
    .option('--until <date>', 'up to this date or instant (UTC), exclusive')
    .option('--class <name>', 'only this actor class')
    .option('--session <id>', 'only this session')
    .action(
      run(async (options: { by: RollupDimension; since?: string; until?: string; class?: string; session?: string }, command: Command) => {
        const since = options.since === undefined ? undefined : parseInstant('--since', options.since);
        const until = options.until === undefined ? undefined : parseInstant('--until', options.until);
        if (since && until && since >= until) {
          throw new AosError('INVALID_INPUT', `--since ${options.since} is not before --until ${options.until}`, { field: '--since' });
        }
        await withRuntime(command, async (runtime, global) => {
          const rows = await rollup(runtime.db, { by: options.by, since, until, className: options.class, sessionId: options.session });
          emit(io, global.json, rows, table(rows, options.by));
        });
      }),
    );
}
