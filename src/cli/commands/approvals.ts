import { type Command, Option } from 'commander';
import { type ApprovalRow, findApproval, listApprovals } from '../../approvals/index.js';
import { type Run, withRuntime } from '../context.js';
import { emit, type Io } from '../output.js';

function summary(approval: ApprovalRow): string {
  const age = Math.round((Date.now() - new Date(approval.requested_at).getTime()) / 1000);
  return `${approval.id}  ${approval.status.padEnd(9)} ${approval.blast_radius.padEnd(8)} ${approval.tool}  actor ${approval.actor_id}  ${age}s ago`;
}

function detail(approval: ApprovalRow): string[] {
  return [
    `approval   ${approval.id} (${approval.status})`,
    `tool       ${approval.tool}`,
    `blast      ${approval.blast_radius}: ${approval.blast_reason}`,
    `actor      ${approval.actor_id} in session ${approval.session_id}`,
    `args hash  ${approval.args_hash}`,
    `grant      ${JSON.stringify(approval.grant_used)}`,
    `policy     ${approval.quorum} approver(s)${approval.approvers ? ` of ${approval.approvers.join(', ')}` : ''}${approval.separation_of_duties ? ', separation of duties' : ''}${approval.expires_at ? `, expires ${new Date(approval.expires_at).toISOString()}` : ''}`,
    'arguments:',
    JSON.stringify(approval.args, null, 2),
    ...(approval.decided_by
      ? [
          `decided by ${approval.decided_by} at ${new Date(approval.decided_at!).toISOString()}${approval.decision_reason ? `: ${approval.decision_reason}` : ''}`,
        ]
      : []),
    ...(approval.consumed_at ? [`consumed at ${new Date(approval.consumed_at).toISOString()}`] : []),
  ];
}

export function registerApprovals(program: Command, io: Io, run: Run): void {
  const approvals = program
    .command('approvals')
    .description('review irreversible calls waiting for a human decision');
  approvals
    .command('list')
    .description('list approvals, newest first')
    .addOption(
      new Option('--status <status>', 'only this status (default: pending)').choices([
        'pending',
        'approved',
        'denied',
        'consumed',
        'expired',
      ]),
    )
    .option('--all', 'every status (default: pending only)', false)
    .action(
      run(async (options: { status?: string; all: boolean }, command: Command) => {
        await withRuntime(command, async (runtime, global) => {
          const status = options.all ? undefined : (options.status ?? 'pending');
          const rows = await listApprovals(runtime.db, { status });
          emit(
            io,
            global.json,
            rows,
            rows.length === 0 ? [`no ${status ?? ''} approvals`.replace('  ', ' ')] : rows.map(summary),
          );
        });
      }),
    );
  approvals
    .command('show')
    .description('show everything about one approval: tool, full arguments, blast radius, grant')
    .argument('<id>')
    .action(
      run(async (id: string, _options: unknown, command: Command) => {
        await withRuntime(command, async (runtime, global) => {
          const approval = await findApproval(runtime.db, id);
          emit(io, global.json, approval, detail(approval));
        });
      }),
    );
  for (const decision of ['approve', 'deny'] as const) {
    approvals
      .command(decision)
      .description(
        decision === 'approve'
          ? 'approve one pending call; its retry with the same arguments runs exactly once'
          : 'deny one pending call',
      )
      .argument('<id>')
      .option(
        '--as <operator>',
        'your identity, recorded with the decision (default: AOS_OPERATOR or operator.name)',
      )
      .option('--reason <text>', 'why, recorded in the audit log')
      .action(
        run(async (id: string, options: { as?: string; reason?: string }, command: Command) => {
          await withRuntime(command, async (runtime, global) => {
            const operator = options.as ?? runtime.deps.operator.name;
            const decided = await runtime.syscall.decide(id, decision, operator, options.reason);
            emit(io, global.json, decided, [`${decided.id} ${decided.status} by ${operator}`]);
          });
        }),
      );
  }
}
