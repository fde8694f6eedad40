/**
 * The second half of `aosiq start`'s demonstration: the example workflow runs once through the
 * scheduler, and the example agent runs if its model server answers (otherwise: how to start one).
 */
import { startAgent } from '../../agents/index.js';
import type { Runtime } from '../../runtime.js';
import { startWorkflow } from '../../workflows/index.js';
import type { Io } from '../output.js';

const AGENT_TASK = 'List the workspace and say in two sentences what is in it. Cite the evidence ids you used.';

async function settled(runtime: Runtime, actorId: string, timeoutMs: number): Promise<{ state: string; result: unknown }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await runtime.db.query<{ state: string; result: unknown }>('SELECT state, result FROM actors WHERE id = $1', [actorId]);
    const row = rows[0]!;
    if (!['runnable', 'running'].includes(row.state) || Date.now() > deadline) return row;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether the backend's server answers at all (1 s), without a model call. */
async function reachable(runtime: Runtime, backend: string): Promise<boolean> {
  const config = runtime.config.llm.backends[backend];
  if (!config) return false;
  const url = config.kind === 'ollama' ? new URL('/api/tags', config.base_url) : new URL(`${config.base_url.replace(/\/$/, '')}/models`);
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

/**
 * @example
 * await demonstratePrograms(runtime, io, 'aosiq');
 */
export async function demonstratePrograms(runtime: Runtime, io: Io, cli: string): Promise<void> {
  const { workflows, agents } = runtime.config;
  const principal = runtime.deps.operator.name;
  if (workflows['workspace-inventory']) {
    const run = await startWorkflow(runtime.syscall, runtime.deps, workflows, { workflow: 'workspace-inventory', trigger: 'manual', principal });
    const end = await runHere(runtime, run.actorId, 30_000);
    io.out(`workflow workspace-inventory ran as ${run.actorId}: ${end.state} (every step through the syscall; ${cli} run workspace-inventory to run it again)`);
  }
  const triage = agents.triage;
  if (!triage) return;
  if (!(await reachable(runtime, triage.backend))) {
    const where = runtime.config.llm.backends[triage.backend]?.base_url;
    io.out(`agent triage: no model server answers at ${where}; to run it, start one (e.g. \`ollama serve\` and \`ollama pull ${triage.model}\`), then:`);
    io.out(`  ${cli} run triage --task "${AGENT_TASK}"`);
    return;
  }
  const run = await startAgent(runtime.syscall, runtime.deps, agents, { agent: 'triage', task: AGENT_TASK, principal });
  const end = await runHere(runtime, run.actorId, 120_000);
  const answer = (end.result as { answer?: string } | null)?.answer;
  io.out(`agent triage ran as ${run.actorId}: ${end.state}${answer ? `: ${answer}` : ''}`);
}

/** Runs one queued actor with a worker of this process until it settles (or the time is up). */
async function runHere(runtime: Runtime, actorId: string, timeoutMs: number) {
  const scheduler = await runtime.startScheduler({ cron: false, workers: 1, only: [actorId] });
  try {
    return await settled(runtime, actorId, timeoutMs);
  } finally {
    await scheduler.stop();
  }
}
