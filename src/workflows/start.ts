/**
 * Starting a workflow run: validate the inputs, then spawn an actor of the workflow's class
 * whose program is the run. A worker picks it up; every step goes through the syscall.
 */
import type { WorkflowConfig } from '../config/workflows.js';
import { AosError } from '../errors.js';
import type { JsonValue } from '../security/canonical/index.js';
import type { SpawnOutcome, Syscall, SyscallDeps } from '../syscall/index.js';
import { type WorkflowProgram, workflowInputs } from './run.js';

export interface StartRequest {
  workflow: string;
  inputs?: { [name: string]: JsonValue };
  trigger: WorkflowProgram['trigger'];
  /** Who started it (operator, API key); recorded on the spawn. */
  principal?: string | undefined;
  /** The authority the run's grants are clamped to (an API key's); the operator's when absent. */
  authority?: { name: string; grants: SyscallDeps['operator']['grants'] } | undefined;
  /** A cron tick: the run starts only if no other process started this tick. */
  once?: { schedule: string; fireAt: Date };
}

/**
 * Spawns a run of a configured workflow.
 *
 * @example
 * const run = await startWorkflow(syscall, deps, config.workflows, { workflow: 'nightly-report', trigger: 'manual' });
 */
export async function startWorkflow(
  syscall: Syscall,
  deps: SyscallDeps,
  workflows: Readonly<Record<string, WorkflowConfig>>,
  request: StartRequest,
): Promise<SpawnOutcome> {
  const workflow = workflows[request.workflow];
  if (!workflow) {
    const known = Object.keys(workflows);
    throw new AosError('NOT_FOUND', `no workflow "${request.workflow}" in aosiq.yaml (workflows: ${known.join(', ') || 'none'})`, {
      field: 'workflow',
      value: request.workflow,
    });
  }
  const program: WorkflowProgram = {
    kind: 'workflow',
    workflow: request.workflow,
    inputs: workflowInputs(workflow, request.workflow, request.inputs ?? {}),
    trigger: request.trigger,
  };
  return syscall.spawn({
    className: workflow.class,
    grants: deps.classes.get(workflow.class)?.capabilities ?? [],
    principal: request.principal,
    authority: request.authority,
    program: program as unknown as JsonValue,
    once: request.once,
  });
}
