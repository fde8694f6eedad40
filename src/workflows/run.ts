/**
 * The workflow program: runs a workflow's steps in order from the actor's last checkpoint.
 * Each step is one tool call through the syscall; its result and the run's new position are
 * checkpointed by the statement that records the call, so a recovered run resumes after the
 * last recorded step and no step's result is committed twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowConfig } from '../config/workflows.js';
import { AosError, isAosError } from '../errors.js';
import type { LeaseOutcome } from '../kernel/lease.js';
import type { ProgramContext, ProgramRunner } from '../kernel/program.js';
import type { JsonValue } from '../security/canonical/index.js';
import { render, shouldRun, type TemplateScope } from './template.js';

/** What a workflow actor's `program` column holds. */
export interface WorkflowProgram {
  kind: 'workflow';
  workflow: string;
  inputs: { [name: string]: JsonValue };
  trigger: 'manual' | 'api' | 'cron';
}

/** The checkpointed state: where the run is and what each finished step returned. */
interface RunState {
  next: number;
  steps: TemplateScope['steps'];
}

// Refusals and decisions a retry cannot change; only the tool's own failures are retried.
const RETRYABLE = new Set(['TOOL_FAILED']);
// Errors that end this worker's hold, not the run: the worker decides what they mean.
const PASSED_UP = new Set(['LEASE_LOST', 'ACTOR_NOT_ALIVE', 'TOKEN_EXPIRED', 'STORE_UNAVAILABLE']);

/**
 * The runner for `{ kind: 'workflow' }` actors.
 *
 * @example
 * const worker = new Worker(deps, syscall, { workflow: workflowRunner(config.workflows) }, options);
 */
export function workflowRunner(workflows: Readonly<Record<string, WorkflowConfig>>): ProgramRunner {
  return async (context): Promise<LeaseOutcome> => {
    const program = context.lease.program as unknown as WorkflowProgram;
    const workflow = workflows[program.workflow];
    if (!workflow) {
      return { to: 'failed', reason: `workflow "${program.workflow}" is no longer in aosiq.yaml` };
    }
    let state = (context.resumeFrom?.state as unknown as RunState | undefined) ?? { next: 0, steps: {} };
    for (let index = state.next; index < workflow.steps.length; index++) {
      context.signal.throwIfAborted();
      const step = workflow.steps[index]!;
      const where = `workflows.${program.workflow}.steps[${index}] (${step.id})`;
      const scope: TemplateScope = { inputs: program.inputs, steps: state.steps };
      const advance = (status: 'ok' | 'failed' | 'skipped', result: JsonValue): RunState => ({
        next: index + 1,
        steps: { ...state.steps, [step.id]: { status, result } },
      });
      if (!shouldRun(step.when, scope, `${where}.when`)) {
        state = advance('skipped', null);
        await context.checkpoint(index + 1, state as unknown as JsonValue, { step: step.id, status: 'skipped' });
        continue;
      }
      const outcome = await runStep(context, index + 1, step, render(step.args, scope, `${where}.args`), (result) => {
        state = advance('ok', result);
        return state as unknown as JsonValue;
      });
      if (outcome === 'ok') continue;
      if ('to' in outcome) return outcome;
      if (step.on_failure === 'fail') {
        return { to: 'failed', reason: `step ${step.id} failed: ${outcome.message}`, result: { steps: state.steps, failed_step: step.id, error: { code: outcome.code, message: outcome.message } } as JsonValue };
      }
      state = advance('failed', { code: outcome.code, message: outcome.message });
      await context.checkpoint(index + 1, state as unknown as JsonValue, { step: step.id, status: 'failed', code: outcome.code });
    }
    return { to: 'completed', result: { steps: state.steps } as JsonValue };
  };
}

/** One step with its retries: ok, a pause (approval), or the failure it ended with. */
async function runStep(
  context: ProgramContext,
  checkpoint: number,
  step: WorkflowConfig['steps'][number],
  args: JsonValue,
  next: (result: JsonValue) => JsonValue,
): Promise<'ok' | LeaseOutcome | { code: string; message: string }> {
  for (let attempt = 0; ; attempt++) {
    try {
      await context.callTool(checkpoint, step.tool, args, next, AbortSignal.timeout(step.timeout_ms));
      return 'ok';
    } catch (error) {
      // First: filing the approval moved the actor out of running, which may already have
      // cost this worker its heartbeat (and aborted the signal).
      if (isAosError(error, 'APPROVAL_REQUIRED')) {
        const approvalId = String(error.details.approvalId);
        return { to: 'waiting_approval', approvalId, reason: `step ${step.id}: ${step.tool} waits for approval ${approvalId}` };
      }
      if (!isAosError(error) || PASSED_UP.has(error.code) || context.signal.aborted) throw error;
      if (!RETRYABLE.has(error.code) || attempt >= step.retries) return { code: error.code, message: error.message };
      await sleep(step.backoff_ms * 2 ** attempt, undefined, { signal: context.signal });
    }
  }
}

/**
 * The inputs of a run: each declared input from `given` or its default; an unknown or missing
 * one is INVALID_INPUT naming it.
 *
 * @example
 * workflowInputs(config.workflows['nightly-report'], 'nightly-report', { dir: 'reports' });
 */
export function workflowInputs(
  workflow: WorkflowConfig,
  name: string,
  given: { [key: string]: JsonValue },
): { [key: string]: JsonValue } {
  for (const key of Object.keys(given)) {
    if (!(key in workflow.inputs)) {
      const known = Object.keys(workflow.inputs);
      throw new AosError('INVALID_INPUT', `inputs.${key}: workflow ${name} has no input "${key}" (inputs: ${known.join(', ') || 'none'})`, { field: `inputs.${key}` });
    }
  }
  return Object.fromEntries(
    Object.entries(workflow.inputs).map(([key, input]) => {
      const value = given[key] ?? (input.default);
      if (value === undefined) {
        throw new AosError('INVALID_INPUT', `inputs.${key}: workflow ${name} needs this input (${input.description || 'no default'})`, { field: `inputs.${key}` });
      }
      return [key, value];
    }),
  );
}
