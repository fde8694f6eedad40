/**
 * What a worker hands the code that runs an actor (a workflow, an agent loop): the actor's
 * token, its last checkpoint, and step-scoped calls that the lease fences. Programs never
 * touch the database; every effect and every checkpoint goes through the syscall or here.
 */
import { recordAuditEvent } from '../audit/index.js';
import type { ResultScan } from '../security/untrusted/index.js';
import { sha256Hex, canonicalJson, type JsonValue } from '../security/canonical/index.js';
import type { Syscall, SyscallDeps, ToolResult } from '../syscall/index.js';
import type { Lease, LeaseOutcome } from './lease.js';

export interface ProgramContext {
  lease: Lease;
  /** The actor's capability token, re-minted from its row (same jti and expiry). */
  token: string;
  /** Aborted when the lease is lost (taken, or the actor killed) or the worker stops. */
  signal: AbortSignal;
  /** The last checkpoint: resume after this step with this state; null on a first run. */
  resumeFrom: { step: number; state: JsonValue } | null;
  /**
   * Calls a tool as step `step`: fenced by the lease, idempotency key `<actor>:<step>` on every
   * attempt, and the checkpoint `next(result)` committed by the statement that records success.
   */
  callTool(step: number, tool: string, args: JsonValue, next: (result: ToolResult, scan: ResultScan) => JsonValue, signal?: AbortSignal): Promise<ToolResult>;
  /** A checkpoint without a tool call (a skipped step, a model reply), as CHECKPOINT_WRITTEN. */
  checkpoint(step: number, state: JsonValue, note: { [key: string]: JsonValue }): Promise<void>;
  syscall: Syscall;
}

/** Runs one actor to its next stop: done, failed, suspended or requeued. */
export type ProgramRunner = (context: ProgramContext) => Promise<LeaseOutcome>;

/** Test hook: `AOS_FAULT_POINTS="after-effect=0.05,claimed=0.01"` kills the process there. */
let faults: Map<string, number> | undefined;

/**
 * Kills this process with SIGKILL at a named point, with the probability set in
 * AOS_FAULT_POINTS; does nothing when the variable is unset (always, outside crash tests).
 *
 * @example
 * faultPoint('after-effect');
 */
export function faultPoint(name: string): void {
  faults ??= new Map(
    (process.env.AOS_FAULT_POINTS ?? '')
      .split(',')
      .filter(Boolean)
      .map((entry) => {
        const [point, probability] = entry.split('=');
        return [point!.trim(), Number(probability)] as const;
      }),
  );
  const probability = faults.get(name);
  if (probability !== undefined && Math.random() < probability) process.kill(process.pid, 'SIGKILL');
}

/** The program context for one leased actor. */
export function programContext(
  deps: SyscallDeps,
  syscall: Syscall,
  run: { lease: Lease; token: string; signal: AbortSignal; resumeFrom: ProgramContext['resumeFrom'] },
): ProgramContext {
  const { lease } = run;
  return {
    ...run,
    syscall,
    async callTool(step, tool, args, next, signal) {
      const { result } = await syscall.callTool(run.token, tool, args, null, {
        epoch: lease.epoch,
        idempotencyKey: `${lease.actorId}:${step}`,
        signal: signal ? AbortSignal.any([run.signal, signal]) : run.signal,
        checkpoint: (value, scan) => {
          faultPoint('after-effect');
          return { step, state: next(value, scan) };
        },
      });
      return result;
    },
    async checkpoint(step, state, note) {
      await recordAuditEvent(
        deps.db,
        deps.clock,
        {
          sessionId: lease.sessionId,
          type: 'CHECKPOINT_WRITTEN',
          actorId: lease.actorId,
          principal: null,
          payload: { step, state_sha256: sha256Hex(canonicalJson(state, 'checkpoint')), ...note },
          checkpoint: { step, state },
        },
        { actorId: lease.actorId, jti: lease.tokenJti, epoch: lease.epoch },
      );
    },
  };
}
