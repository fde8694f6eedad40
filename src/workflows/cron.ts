/**
 * Cron triggers. Every process that runs workers runs these timers; at each tick each of them
 * tries to start the run, and one insert per (schedule, fire time), in the spawn's own
 * transaction, lets exactly one succeed. The fire time is the pattern's scheduled instant,
 * the same in every process whatever its timer's jitter. Ticks missed while no process ran are
 * not replayed.
 */
import { Cron } from 'croner';
import type { WorkflowConfig } from '../config/workflows.js';
import { isAosError } from '../errors.js';
import type { Syscall, SyscallDeps } from '../syscall/index.js';
import { startWorkflow } from './start.js';

// setTimeout's limit; a longer wait is taken in steps.
const MAX_TIMER_MS = 2_147_483_647;

export class CronTriggers {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly syscall: Syscall,
    private readonly deps: SyscallDeps,
    private readonly workflows: Readonly<Record<string, WorkflowConfig>>,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Names of the scheduled workflows, with their next fire time. */
  start(): { workflow: string; next: Date | null }[] {
    return Object.entries(this.workflows)
      .filter(([, workflow]) => workflow.schedule !== undefined)
      .map(([name]) => ({ workflow: name, next: this.arm(name, new Date()) }));
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private arm(name: string, after: Date): Date | null {
    const workflow = this.workflows[name]!;
    const next = new Cron(workflow.schedule!, { timezone: workflow.timezone, paused: true }).nextRun(after);
    if (!next || this.stopped) return null;
    const wait = next.getTime() - Date.now();
    const timer = setTimeout(() => {
      if (wait > MAX_TIMER_MS) this.arm(name, after);
      else void this.fire(name, next);
    }, Math.max(0, Math.min(wait, MAX_TIMER_MS)));
    timer.unref();
    this.timers.set(name, timer);
    return next;
  }

  private async fire(name: string, at: Date): Promise<void> {
    try {
      const run = await startWorkflow(this.syscall, this.deps, this.workflows, {
        workflow: name,
        trigger: 'cron',
        principal: `cron:${name}`,
        once: { schedule: `workflow:${name}`, fireAt: at },
      });
      this.log(`cron: ${name} fired for ${at.toISOString()} as ${run.actorId}`);
    } catch (error) {
      // CONFLICT: another process started this tick. Anything else is worth saying.
      if (!isAosError(error, 'CONFLICT')) this.log(`cron: ${name} could not start for ${at.toISOString()}: ${(error as Error).message}`);
    }
    this.arm(name, at);
  }
}
