/**
 * The scheduler of one process: its workers and the cron timers, started and stopped together.
 */
import type { WorkflowConfig } from '../config/workflows.js';
import type { Syscall, SyscallDeps } from '../syscall/index.js';
import { CronTriggers } from '../workflows/cron.js';
import { workflowRunner } from '../workflows/run.js';
import type { ProgramRunner } from './program.js';
import { Worker, type WorkerOptions } from './worker.js';

export interface Scheduler {
  workers: Worker[];
  /** The scheduled workflows and when each fires next. */
  schedules: { workflow: string; next: Date | null }[];
  /** Stops claiming, hands running actors back (runnable) and stops the timers. */
  stop(): Promise<void>;
}

export interface SchedulerOptions extends WorkerOptions {
  /** Worker loops in this process (each with `concurrency` actors); 1 by default. */
  workers?: number;
  /** Run the cron triggers here too; true by default. */
  cron?: boolean;
}

/**
 * Starts workers and cron triggers over the configured workflows (and any extra programs).
 *
 * @example
 * const scheduler = await startScheduler(syscall, deps, config.workflows, { concurrency: 4, leaseMs: 15000, sweepMs: 2000, pollMs: 1000 });
 */
export async function startScheduler(
  syscall: Syscall,
  deps: SyscallDeps,
  workflows: Readonly<Record<string, WorkflowConfig>>,
  options: SchedulerOptions,
  extraPrograms: Readonly<Record<string, ProgramRunner>> = {},
): Promise<Scheduler> {
  const programs = { workflow: workflowRunner(workflows), ...extraPrograms };
  const count = options.workers ?? 1;
  const workers = Array.from(
    { length: count },
    (_, index) => new Worker(deps, syscall, programs, { ...options, id: options.id && count > 1 ? `${options.id}-${index + 1}` : options.id }),
  );
  // Cron first: a schedule it cannot arm fails here, before any worker holds an actor.
  const cron = new CronTriggers(syscall, deps, workflows, options.log);
  const schedules = options.cron === false ? [] : cron.start();
  await Promise.all(workers.map((worker) => worker.start()));
  return {
    workers,
    schedules,
    async stop() {
      cron.stop();
      await Promise.all(workers.map((worker) => worker.stop()));
    },
  };
}
