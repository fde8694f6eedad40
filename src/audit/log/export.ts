import { z } from 'zod';
import { AosError } from '../../errors.js';
import type { Queryable } from '../../store/db.js';
import { chainedEventSchema } from './event-schema.js';
import type { LoggedEvent } from './verify-log.js';

const PAGE = 2000;
const COLUMNS = 'id, log_index, session_id, chain_seq, prev_hash, hash, type, actor_id, principal, payload, at';

function normalise(row: LoggedEvent): LoggedEvent {
  return { ...row, id: Number(row.id), chain_seq: Number(row.chain_seq), log_index: row.log_index === null ? null : Number(row.log_index) };
}

/**
 * Every audit event in log order, then those not yet integrated in commit order, read in pages
 * so the log never sits in memory.
 *
 * @example
 * for await (const event of readLoggedEvents(db)) out.write(`${JSON.stringify(event)}\n`);
 */
export async function* readLoggedEvents(db: Queryable): AsyncGenerator<LoggedEvent> {
  for (let after = -1; ; ) {
    const page = await db.query<LoggedEvent>(
      `SELECT ${COLUMNS} FROM audit_events WHERE log_index > $1 ORDER BY log_index LIMIT $2`,
      [after, PAGE],
    );
    for (const row of page.rows) yield normalise(row);
    if (page.rows.length < PAGE) break;
    after = Number(page.rows.at(-1)!.log_index);
  }
  for (let after = 0; ; ) {
    const page = await db.query<LoggedEvent>(
      `SELECT ${COLUMNS} FROM audit_events WHERE log_index IS NULL AND id > $1 ORDER BY id LIMIT $2`,
      [after, PAGE],
    );
    for (const row of page.rows) yield normalise(row);
    if (page.rows.length < PAGE) break;
    after = Number(page.rows.at(-1)!.id);
  }
}

const exportedEventSchema = chainedEventSchema.extend({
  id: z.number().int().positive(),
  log_index: z.number().int().nonnegative().nullable(),
});

/**
 * One line of an `aosiq audit export` file, checked; the error names the line.
 *
 * @example
 * const event = parseExportLine('{"id":1,…}', 1);
 */
export function parseExportLine(line: string, lineNumber: number): LoggedEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new AosError('AUDIT_CHAIN_BROKEN', `export line ${lineNumber}: not JSON`, { line: lineNumber });
  }
  const parsed = exportedEventSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AosError('AUDIT_CHAIN_BROKEN', `export line ${lineNumber}: ${issue.path.join('.') || 'event'}: ${issue.message}`, {
      line: lineNumber,
    });
  }
  return { ...parsed.data, payload: parsed.data.payload };
}
