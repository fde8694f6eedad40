import type { Command } from 'commander';
import { listAuditEvents } from '../../audit/index.js';
import { type Run, withRuntime } from '../context.js';
import { emit, type Io } from '../output.js';
import { registerAuditLog } from './audit-log.js';
import { registerAuditVerify } from './audit-verify.js';

export function registerAudit(program: Command, io: Io, run: Run): void {
  const audit = program.command('audit').description('read and verify the hash-chained audit log');
  registerAuditVerify(audit, io, run);
  registerAuditLog(audit, io, run);
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
