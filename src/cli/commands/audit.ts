import type { Command } from 'commander';
import { listAuditEvents, verifyStoredChains } from '../../audit/index.js';
import { AosError } from '../../errors.js';
import { type Run, withRuntime } from '../context.js';
import { emit, type Io } from '../output.js';
import { registerAuditLog } from './audit-log.js';

export function registerAudit(program: Command, io: Io, run: Run): void {
  const audit = program.command('audit').description('read and verify the hash-chained audit log');
  registerAuditLog(audit, io, run);
  audit
    .command('verify')
    .description('check every chain link and hash; exits non-zero and names the first bad row')
    .option('--session <id>', 'only this session')
    .action(
      run(async (options: { session?: string }, command: Command) => {
        await withRuntime(command, async (runtime, global) => {
          const interactive = !global.json && process.stderr.isTTY;
          const report = await verifyStoredChains(runtime.db, {
            sessionId: options.session,
            onProgress: interactive
              ? (checked) => process.stderr.write(`\rchecked ${checked} events`)
              : undefined,
          });
          if (interactive) process.stderr.write('\n');
          if (options.session !== undefined && report.sessions === 0) {
            throw new AosError(
              'NOT_FOUND',
              `no audit events for session ${options.session}; list sessions with \`aosiq audit log\``,
              {
                sessionId: options.session,
              },
            );
          }
          if (!report.ok) {
            const bad = report.firstBreak!;
            throw new AosError(
              'AUDIT_CHAIN_BROKEN',
              `session ${bad.session_id}, chain_seq ${bad.chain_seq}${bad.id === null ? '' : ` (row id ${bad.id})`}: ${bad.reason}`,
              { ...bad },
            );
          }
          emit(io, global.json, report, [
            `ok: ${report.events} events in ${report.sessions} sessions verified`,
          ]);
        });
      }),
    );
  audit
    .command('log')
    .description('print audit events, oldest first')
    .option('--session <id>', 'only this session')
    .option('--type <type>', 'only this event type')
    .option('--limit <n>', 'at most this many (newest)', '100')
    .action(
      run(async (options: { session?: string; type?: string; limit: string }, command: Command) => {
        await withRuntime(command, async (runtime, global) => {
          const events = await listAuditEvents(runtime.db, {
            sessionId: options.session,
            type: options.type,
            limit: Number.parseInt(options.limit, 10) || 100,
          });
          emit(
            io,
            global.json,
            events,
            events.map(
              (e) =>
                `${e.at}  ${e.session_id}#${e.chain_seq}  ${e.type.padEnd(24)} ${e.actor_id ?? '-'}  ${JSON.stringify(e.payload)}`,
            ),
          );
        });
      }),
    );
}
