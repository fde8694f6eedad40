/**
 * Starting an agent run: spawn an actor of the agent's class whose program is the loop with
 * this task. A worker picks it up.
 */
import type { AgentConfig } from '../config/agents.js';
import { AosError } from '../errors.js';
import type { JsonValue } from '../security/canonical/index.js';
import type { SpawnOutcome, Syscall, SyscallDeps } from '../syscall/index.js';
import type { AgentProgram } from './loop.js';

/** The longest task text accepted, in characters. */
export const MAX_TASK_CHARS = 20_000;

/**
 * @example
 * await startAgent(syscall, deps, config.agents, { agent: 'triage', task: 'Why is the disk full?' });
 */
export async function startAgent(
  syscall: Syscall,
  deps: SyscallDeps,
  agents: Readonly<Record<string, AgentConfig>>,
  request: {
    agent: string;
    task: string;
    principal?: string | undefined;
    authority?: { name: string; grants: SyscallDeps['operator']['grants'] } | undefined;
  },
): Promise<SpawnOutcome> {
  const agent = agents[request.agent];
  if (!agent) {
    throw new AosError('NOT_FOUND', `no agent "${request.agent}" in aosiq.yaml (agents: ${Object.keys(agents).join(', ') || 'none'})`, {
      field: 'agent',
      value: request.agent,
    });
  }
  const task = request.task.trim();
  if (task.length === 0 || task.length > MAX_TASK_CHARS) {
    throw new AosError('INVALID_INPUT', `task: expected 1 to ${MAX_TASK_CHARS} characters, got ${task.length}`, { field: 'task' });
  }
  const program: AgentProgram = { kind: 'agent', agent: request.agent, task };
  return syscall.spawn({
    className: agent.class,
    grants: deps.classes.get(agent.class)?.capabilities ?? [],
    principal: request.principal,
    authority: request.authority,
    program: program as unknown as JsonValue,
  });
}
