import type { Command } from 'commander';
import { AosError, isAosError } from '../../errors.js';
import type { JsonValue } from '../../security/canonical/index.js';
import type { Runtime } from '../../runtime.js';
import { startAgent } from '../../agents/index.js';
import { startWorkflow } from '../../workflows/index.js';
import { type GlobalOptions, globalOptions, openCliRuntime, type Run, withRuntime } from '../context.js';
import { emit, type Io, parseJsonOption } from '../output.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--input key=value` (repeatable, values are strings) merged over `--inputs '{"k": 1}'`. */
function parseInputs(options: { input: string[]; inputs?: string }): { [key: string]: JsonValue } {
  const inputs: { [key: string]: JsonValue } = {};
  if (options.inputs !== undefined) {
    const parsed = parseJsonOption('--inputs', options.inputs);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new AosError('INVALID_INPUT', '--inputs: expected a JSON object such as {"dir": "reports"}', { field: '--inputs' });
    }
    Object.assign(inputs, parsed);
  }
  for (const pair of options.input) {
    const at = pair.indexOf('=');
    if (at < 1) throw new AosError('INVALID_INPUT', `--input: expected key=value, got ${JSON.stringify(pair)}`, { field: '--input', value: pair });
    inputs[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return inputs;
}

const SETTLED = ['completed', 'failed', 'killed', 'waiting_approval', 'token_expired', 'abandoned_ungrounded'];

/** Prints each step as its record lands, until the actor leaves the queue; returns its row. */
async function follow(runtime: Runtime, actorId: string, io: Io, quiet: boolean) {
  let seq = 0;
  let reason = '';
  for (;;) {
    const { rows: events } = await runtime.db.query<{ chain_seq: number; type: string; payload: Record<string, string | number | undefined> }>(
      'SELECT chain_seq, type, payload FROM audit_events WHERE actor_id = $1 AND chain_seq > $2 ORDER BY chain_seq',
      [actorId, seq],
    );
    for (const event of events) {
      seq = event.chain_seq;
      const p = event.payload;
      if (typeof p.reason === 'string' && p.to !== undefined) reason = p.reason;
      if (quiet) continue;
      if (event.type === 'TOOL_CALL_COMPLETED') io.err(`  ${p.tool}: ok (${p.duration_ms} ms)`);
      else if (event.type === 'TOOL_CALL_FAILED') io.err(`  ${p.tool}: failed: ${p.error}`);
      else if (event.type === 'CHECKPOINT_WRITTEN' && p.turn !== undefined) io.err(`  model turn ${p.turn}: ${p.tool_calls} tool call(s)`);
      else if (event.type === 'CHECKPOINT_WRITTEN' && p.status !== undefined) io.err(`  step ${p.step}: ${p.status}`);
      else if (event.type === 'APP_AGENT_ABANDONED_UNGROUNDED') io.err(`  abandoned: ${p.reason}`);
    }
    const { rows } = await runtime.db.query<{ state: string; result: JsonValue }>('SELECT state, result FROM actors WHERE id = $1', [actorId]);
    const actor = rows[0]!;
    if (SETTLED.includes(actor.state)) return { ...actor, reason };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The run's end as the command's outcome: completed returns, anything else is an error with its exit code. */
function settle(actorId: string, sessionId: string, state: string, reason: string): void {
  if (state === 'completed') return;
  if (state === 'waiting_approval') {
    throw new AosError(
      'APPROVAL_REQUIRED',
      `run ${actorId} waits for an approval (aosiq approvals list); once it is decided, a worker (aosiq worker, or aosiq start) resumes it`,
      { actorId },
    );
  }
  if (state === 'token_expired') {
    throw new AosError('TOKEN_EXPIRED', `run ${actorId}: its token expired; renew it with \`aosiq actors renew ${actorId}\``, { actorId });
  }
  throw new AosError('RUN_FAILED', `run ${actorId} ended ${state}: ${reason || 'no reason recorded'} (its record: aosiq audit log --session ${sessionId})`, { actorId, state });
}

/** A worker outlives database restarts, so it also waits for the database when it starts. */
async function openPatiently(global: GlobalOptions, io: Io): Promise<Runtime> {
  for (let delay = 500; ; delay = Math.min(delay * 2, 5000)) {
    try {
      return await openCliRuntime(global);
    } catch (error) {
      if (!isAosError(error, 'STORE_UNAVAILABLE')) throw error;
      io.err(`waiting for the database (${error.message}); retrying in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export function registerWorkflows(program: Command, io: Io, run: Run): void {
  program
    .command('run')
    .description('start a run of a workflow or an agent from aosiq.yaml, and (unless --detach) run it here until it finishes or waits')
    .argument('<name>', 'workflow or agent name')
    .option('--input <key=value>', 'a workflow input (repeatable; a string)', collect, [])
    .option('--inputs <json>', 'workflow inputs as a JSON object (values of any JSON type)')
    .option('--task <text>', "an agent's task")
    .option('--detach', 'only queue the run, for workers elsewhere (aosiq worker, aosiq start)')
    .addHelpText('after', '\nExamples:\n  aosiq run workspace-inventory --input folder=.\n  aosiq run triage --task "Summarise what is in the workspace"\n')
    .action(
      run(async (workflow: string, options: { input: string[]; inputs?: string; task?: string; detach?: boolean }, command: Command) => {
        const inputs = parseInputs(options);
        await withRuntime(command, async (runtime, global) => {
          const isAgent = workflow in runtime.config.agents;
          if (isAgent !== (options.task !== undefined)) {
            throw new AosError('INVALID_INPUT', isAgent ? `--task: agent ${workflow} needs a task` : `--task: ${workflow} is not an agent (agents: ${Object.keys(runtime.config.agents).join(', ') || 'none'})`, { field: '--task' });
          }
          const principal = runtime.deps.operator.name;
          const started = isAgent
            ? await startAgent(runtime.syscall, runtime.deps, runtime.config.agents, { agent: workflow, task: options.task!, principal })
            : await startWorkflow(runtime.syscall, runtime.deps, runtime.config.workflows, { workflow, inputs, trigger: 'manual', principal });
          if (options.detach) {
            emit(io, global.json, { actorId: started.actorId, sessionId: started.sessionId, state: 'runnable' }, [
              `queued run ${started.actorId} of ${workflow} (session ${started.sessionId}); a worker will pick it up`,
            ]);
            return;
          }
          if (!global.json) io.err(`running ${workflow} as ${started.actorId} (session ${started.sessionId})`);
          const scheduler = await runtime.startScheduler({ cron: false, workers: 1, only: [started.actorId] });
          let actor: { state: string; result: JsonValue; reason: string };
          try {
            actor = await follow(runtime, started.actorId, io, Boolean(global.json));
          } finally {
            await scheduler.stop();
          }
          emit(io, global.json, { actorId: started.actorId, sessionId: started.sessionId, ...actor }, [
            `${workflow}: ${actor.state}`,
            JSON.stringify(actor.result, null, 2),
          ]);
          settle(started.actorId, started.sessionId, actor.state, actor.reason);
        });
      }),
    );

  program
    .command('worker')
    .description('run workers (and cron triggers) until SIGINT or SIGTERM; any number of processes may share a PostgreSQL database')
    .option('--concurrency <n>', 'actors this process runs at once (default: scheduler.concurrency)')
    .option('--id <name>', 'worker name shown in the audit log')
    .option('--no-cron', 'do not run cron triggers here')
    .action(
      run(async (options: { concurrency?: string; id?: string; cron: boolean }, command: Command) => {
        const concurrency = options.concurrency === undefined ? undefined : Number(options.concurrency);
        if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)) {
          throw new AosError('INVALID_INPUT', `--concurrency: expected an integer 1-256, got ${JSON.stringify(options.concurrency)}`, { field: '--concurrency' });
        }
        const runtime = await openPatiently(globalOptions(command), io);
        try {
          const scheduler = await runtime.startScheduler({
            ...(concurrency === undefined ? {} : { concurrency }),
            ...(options.id === undefined ? {} : { id: options.id }),
            cron: options.cron,
            log: (line) => io.err(line),
          });
          io.err(`worker ${scheduler.workers.map((worker) => worker.id).join(', ')} running on ${runtime.store.location}`);
          for (const schedule of scheduler.schedules) io.err(`cron: ${schedule.workflow} next at ${schedule.next?.toISOString() ?? 'never'}`);
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
          io.err('stopping: running actors go back to the queue');
          await scheduler.stop();
        } finally {
          await runtime.close();
        }
      }),
    );

  program
    .command('workflows')
    .description('list the workflows in aosiq.yaml with their steps and schedules')
    .action(
      run(async (_options: unknown, command: Command) => {
        await withRuntime(command, async (runtime, global) => {
          const list = Object.entries(runtime.config.workflows).map(([name, workflow]) => ({
            name,
            class: workflow.class,
            description: workflow.description,
            schedule: workflow.schedule ?? null,
            inputs: Object.keys(workflow.inputs),
            steps: workflow.steps.map((step) => `${step.id}: ${step.tool}`),
          }));
          emit(
            io,
            global.json,
            list,
            list.length === 0
              ? ['no workflows in aosiq.yaml (see the workflows: section of the example)']
              : list.map((w) => `${w.name}  class ${w.class}${w.schedule ? `  cron "${w.schedule}"` : ''}  steps: ${w.steps.join(', ')}`),
          );
        });
      }),
    );
}
