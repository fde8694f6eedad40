import { createHash } from 'node:crypto';
import { type ApprovalRow, consumeApproval, requestApproval, resolvePolicy } from '../approvals/index.js';
import { appendAuditEvents, type LiveActorGuard, lockSession, recordAuditEvent } from '../audit/index.js';
import { redactSecrets, storableText } from '../audit/redact.js';
import { AosError, isAosError } from '../errors.js';
import { canonicalJson, type JsonValue, sha256Hex } from '../security/canonical/index.js';
import { type CapabilityClaims, findGrant } from '../security/capability/index.js';
import { type ResultScan, scanResult } from '../security/untrusted/index.js';
import { createToolContext } from '../tools/index.js';
import { recordInjection, screenedFailure } from './injection.js';
import { maskCredentials } from '../security/secrets.js';
import { deadActor, requireLiveActor, verifyCaller } from './caller.js';
import type { SyscallDeps, ToolResult } from './ports.js';
import { recordRefusal } from './record.js';

/** What a worker adds to the calls it makes for an actor it holds a lease on. */
export interface StepContext {
  /** Every write of the call is refused (LEASE_LOST) unless the actor runs under this epoch. */
  epoch: number;
  /** Derived from (actor, step), the same on every attempt: what the tool sees. */
  idempotencyKey: string;
  /** The checkpoint written by the same statement as TOOL_CALL_COMPLETED, from the result and its injection scan. */
  checkpoint?: (result: ToolResult, scan: ResultScan) => { step: number; state: JsonValue };
  /** Cancels the call (the actor was killed, or its step timed out). */
  signal?: AbortSignal;
}

export interface ToolCallOutcome {
  /** `<session>:<chain_seq>` of the TOOL_CALL_STARTED row; also the idempotency key the tool saw. */
  callId: string;
  result: ToolResult;
  approvalId: string | null;
  /** The result's injection scan and the class's policy: how a model or an MCP client may be shown it. */
  scan: ResultScan;
}

interface CheckedCall {
  claims: CapabilityClaims;
  args: JsonValue;
  parsedArgs: unknown;
  argsHash: string;
  grant: JsonValue;
}

/** Guard 2: tool, arguments and grant. Every refusal here is recorded as CAPABILITY_DENIED. */
async function checkCall(
  deps: SyscallDeps,
  claims: CapabilityClaims,
  tool: string,
  args: unknown,
  principal: string | null,
): Promise<CheckedCall> {
  try {
    if (typeof tool !== 'string' || tool.length === 0 || tool.length > 200) {
      throw new AosError('INVALID_INPUT', 'tool: expected a tool name of 1 to 200 characters, such as "fs.read"', {
        field: 'tool',
      });
    }
    deps.tools.get(tool);
    const canonical = canonicalJson(args, 'args');
    const bytes = Buffer.byteLength(canonical, 'utf8');
    if (bytes > deps.maxArgsBytes) {
      throw new AosError(
        'ARGS_TOO_LARGE',
        `args: ${bytes} bytes of canonical JSON exceed the limit of ${deps.maxArgsBytes} (limits.max_args_bytes)`,
        { bytes, limit: deps.maxArgsBytes },
      );
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      throw new AosError(
        'INVALID_INPUT',
        `args: expected a JSON object of named arguments, got ${canonical.slice(0, 80)}`,
      );
    }
    // The grant is checked against the arguments the tool will actually receive (defaults
    // filled in, unknown keys stripped), so no default can slip past a constraint.
    const parsedArgs = deps.tools.parseArgs(tool, args);
    const match = findGrant(claims.grants, tool, parsedArgs as Record<string, unknown>);
    if ('denied' in match) throw new AosError('CAPABILITY_DENIED', match.denied, { tool });
    await deps.tools.get(tool).check?.();
    // The approval binds, and the approver sees, exactly what will run: defaults included.
    return {
      claims,
      args: parsedArgs as JsonValue,
      parsedArgs,
      argsHash: sha256Hex(canonicalJson(parsedArgs, 'args')),
      grant: match.grant as JsonValue,
    };
  } catch (caught) {
    if (!isAosError(caught)) throw caught;
    // A killed actor learns only that it is dead, not why its call would have been refused.
    const error = (await deadActor(deps.db, claims)) ?? caught;
    throw await recordRefusal(
      deps,
      { sessionId: claims.sid, actorId: claims.sub, principal, type: 'CAPABILITY_DENIED' },
      error,
      { operation: 'call_tool', tool },
    );
  }
}

type Started = { kind: 'started'; seq: number; approvalId: string | null };
type Paused =
  | { kind: 'approval_required'; approvalId: string; created: boolean }
  | { kind: 'refused'; approval: ApprovalRow };

function startedEvent(
  call: CheckedCall,
  toolName: string,
  reversible: boolean,
  approvalId: string | null,
  principal: string | null,
) {
  return {
    sessionId: call.claims.sid,
    type: 'TOOL_CALL_STARTED' as const,
    actorId: call.claims.sub,
    principal,
    payload: {
      tool: toolName,
      args: redactSecrets(call.args),
      args_hash: call.argsHash,
      reversible,
      approval_id: approvalId,
      grant: redactSecrets(call.grant),
    },
  };
}

/**
 * Guards 3 and 4 and the first record. A reversible call needs no approval, so the liveness
 * check and TOOL_CALL_STARTED are one guarded append. An irreversible one consumes or files its
 * approval in the same transaction as that record, under the session lock.
 */
async function startCall(
  deps: SyscallDeps,
  call: CheckedCall,
  toolName: string,
  principal: string | null,
  epoch: number | undefined,
): Promise<Started | Paused> {
  const { claims } = call;
  const tool = deps.tools.get(toolName);
  const guard = { actorId: claims.sub, jti: claims.jti, ...(epoch === undefined ? {} : { epoch }) };
  if (tool.reversible) {
    const event = startedEvent(call, toolName, true, null, principal);
    const written = await recordAuditEvent(deps.db, deps.clock, event, guard);
    return { kind: 'started', seq: written.chainSeq, approvalId: null };
  }
  return deps.db.transaction(async (tx) => {
    await lockSession(tx, claims.sid);
    await requireLiveActor(tx, claims, epoch);
    const match = {
      sessionId: claims.sid,
      actorId: claims.sub,
      tool: toolName,
      argsHash: call.argsHash,
      principal,
    };
    const approval = await consumeApproval(tx, deps.clock, match);
    if (!approval) {
      const policy = resolvePolicy(deps.approvalPolicies, toolName, claims.cls);
      const filed = await requestApproval(tx, deps.clock, { ...match, args: call.args, blastRadius: tool.blastRadius, grant: redactSecrets(call.grant) }, policy);
      if (filed.kind === 'refused') return filed;
      return { kind: 'approval_required', approvalId: filed.approval.id, created: filed.created };
    }
    const [written] = await appendAuditEvents(tx, deps.clock, [startedEvent(call, toolName, false, approval.id, principal)], guard);
    return { kind: 'started', seq: written!.chainSeq, approvalId: approval.id };
  });
}

/** The actor's answer when its last identical request was denied or ran out (told once). */
function refusedApproval(approval: ApprovalRow): AosError {
  const details = { approvalId: approval.id, tool: approval.tool, argsHash: approval.args_hash };
  if (approval.status === 'expired') {
    return new AosError('APPROVAL_EXPIRED', `approval ${approval.id} for ${approval.tool} expired before it was used; call again to ask anew`, details);
  }
  return new AosError(
    'APPROVAL_DENIED',
    `approval ${approval.id} for ${approval.tool} was denied by ${approval.decided_by}${approval.decision_reason ? `: ${approval.decision_reason}` : ''}; call again only to ask anew`,
    { ...details, deniedBy: approval.decided_by, reason: approval.decision_reason },
  );
}

/**
 * The tool-call syscall: verify token → actor alive, tool, arguments, grant → approval gate →
 * record TOOL_CALL_STARTED → dispatch → record TOOL_CALL_COMPLETED or TOOL_CALL_FAILED.
 * An irreversible call without a matching approval files a review row and throws
 * APPROVAL_REQUIRED with its id; the same call made after approval runs exactly once.
 * `principal` is whoever presented the token (the CLI's operator, an API key's name), recorded
 * on every row the call writes. A worker running the actor passes its `step`: the lease epoch
 * fences the call's writes and the step's checkpoint commits with its outcome.
 *
 * @example
 * const { result } = await callTool(deps, token, 'fs.read', { path: 'notes.txt' }, 'alice');
 */
export async function callTool(
  deps: SyscallDeps,
  token: string,
  toolName: string,
  args: unknown,
  principal: string | null = null,
  step?: StepContext,
): Promise<ToolCallOutcome> {
  const claims = await verifyCaller(deps, token, 'call_tool', principal);
  const call = await checkCall(deps, claims, toolName, args, principal);
  let started: Started | Paused;
  try {
    started = await startCall(deps, call, toolName, principal, step?.epoch);
  } catch (error) {
    if (!isAosError(error, 'ACTOR_NOT_ALIVE')) throw error;
    throw await recordRefusal(
      deps,
      { sessionId: claims.sid, actorId: claims.sub, principal, type: 'CAPABILITY_DENIED' },
      error,
      { operation: 'call_tool', tool: toolName },
    );
  }
  if (started.kind === 'refused') throw refusedApproval(started.approval);
  if (started.kind === 'approval_required') {
    throw new AosError(
      'APPROVAL_REQUIRED',
      `${toolName} is irreversible and needs a human approval for exactly these arguments: approval ${started.approvalId} is pending (aosiq approvals show ${started.approvalId}); call again with the same arguments once it is approved`,
      { approvalId: started.approvalId, tool: toolName, argsHash: call.argsHash, created: started.created },
    );
  }
  const callId = `${claims.sid}:${started.seq}`;
  const { result, scan } = await dispatch(deps, call, toolName, principal, callId, step);
  return { callId, approvalId: started.approvalId, result, scan };
}

/** Runs the tool with no handle on anything but plain data and an abort signal, then records the outcome. */
async function dispatch(
  deps: SyscallDeps,
  call: CheckedCall,
  toolName: string,
  principal: string | null,
  callId: string,
  step: StepContext | undefined,
): Promise<{ result: ToolResult; scan: ResultScan }> {
  const { claims } = call;
  const tool = deps.tools.get(toolName);
  const usage = Object.seal({ cpuMs: null as number | null });
  const context = createToolContext({
    signal: step?.signal ? AbortSignal.any([AbortSignal.timeout(deps.toolTimeoutMs), step.signal]) : AbortSignal.timeout(deps.toolTimeoutMs),
    idempotencyKey: step?.idempotencyKey ?? callId,
    actorId: claims.sub,
    sessionId: claims.sid,
    usage,
  });
  const began = performance.now();
  let result: ToolResult;
  let canonical: string;
  try {
    result = await runWithDeadline(
      tool.run(call.parsedArgs, context),
      context.signal,
      toolName,
      deps.toolTimeoutMs,
    );
    canonical = canonicalJson(result ?? null, `${toolName} result`);
  } catch (error) {
    const failure = isAosError(error)
      ? error
      : new AosError(
          'TOOL_FAILED',
          `${toolName} failed: ${(error as Error)?.message ?? String(error)}`,
          { tool: toolName },
          { cause: error },
        );
    const wallMs = Math.round(performance.now() - began);
    await recordOutcome(deps, claims, principal, 'TOOL_CALL_FAILED', toolName, { wallMs, cpuMs: usage.cpuMs ?? undefined }, {
      tool: toolName,
      call_id: callId,
      duration_ms: wallMs,
      code: failure.code,
      // The message came out of the run (a remote reply can hold a credential): masked like an excerpt.
      error: storableText(maskCredentials(failure.message)),
    }).catch((recordError: Error) => {
      // Never let a failed write hide what the tool did; say both (not the tool's own words, which are not screened on this path).
      throw new AosError('INTERNAL', `${toolName} failed (${failure.code}), and recording TOOL_CALL_FAILED also failed: ${recordError.message}`, {
        tool: toolName,
      });
    });
    throw await screenedFailure(deps, claims, principal, toolName, callId, failure);
  }
  const wallMs = Math.round(performance.now() - began);
  const completed = {
    tool: toolName,
    call_id: callId,
    duration_ms: wallMs,
    result_sha256: createHash('sha256').update(canonical).digest('hex'),
    result_bytes: Buffer.byteLength(canonical),
  };
  // Scanned once, here, whoever reads it next (an agent's model, an MCP client, a workflow).
  const scan = await scanResult(result ?? null, deps.classes.get(claims.cls)?.untrusted, claims.sid);
  const checkpoint = step?.checkpoint?.(result ?? null, scan);
  if (step && checkpoint) {
    const guard = { actorId: claims.sub, jti: claims.jti, epoch: step.epoch };
    try {
      await recordOutcome(deps, claims, principal, 'TOOL_CALL_COMPLETED', toolName, { wallMs, cpuMs: usage.cpuMs ?? undefined }, completed, { checkpoint, guard });
    } catch (error) {
      if (!isAosError(error, 'LEASE_LOST')) throw error;
      // The effect happened: say so, without the step result this worker may no longer commit.
      await recordOutcome(deps, claims, principal, 'TOOL_CALL_COMPLETED', toolName, { wallMs, cpuMs: usage.cpuMs ?? undefined }, { ...completed, lease_lost: true });
      throw error;
    }
  } else {
    await recordOutcome(deps, claims, principal, 'TOOL_CALL_COMPLETED', toolName, { wallMs, cpuMs: usage.cpuMs ?? undefined }, completed);
  }
  if (scan.detection.flagged) await recordInjection(deps, claims, principal, toolName, callId, scan);
  return { result: result ?? null, scan };
}

/** The tool's result, or TOOL_FAILED once the deadline passes even if the tool ignores its signal. */
function runWithDeadline(
  run: Promise<ToolResult>,
  signal: AbortSignal,
  toolName: string,
  timeoutMs: number,
): Promise<ToolResult> {
  let onAbort = () => {};
  const deadline = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        new AosError('TOOL_FAILED', `${toolName} did not finish within ${timeoutMs} ms and was abandoned; its effect may still complete`, {
          tool: toolName,
        }),
      );
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([run, deadline]).finally(() => signal.removeEventListener('abort', onAbort));
}

async function recordOutcome(
  deps: SyscallDeps,
  claims: CapabilityClaims,
  principal: string | null,
  type: 'TOOL_CALL_COMPLETED' | 'TOOL_CALL_FAILED',
  toolName: string,
  { wallMs, cpuMs }: { wallMs: number; cpuMs: number | undefined },
  payload: { [key: string]: JsonValue },
  fenced?: { checkpoint: { step: number; state: JsonValue }; guard: LiveActorGuard },
): Promise<void> {
  const perMs = deps.classes.get(claims.cls)?.computePerMs ?? 0n;
  await recordAuditEvent(deps.db, deps.clock, {
    sessionId: claims.sid,
    type,
    actorId: claims.sub,
    principal,
    payload,
    ...(fenced ? { checkpoint: fenced.checkpoint } : {}),
    // The call's compute, in the ledger by the same statement that records its outcome.
    ledger: {
      class: claims.cls,
      tool: toolName,
      usd_pico: (perMs * BigInt(wallMs)).toString(),
      wall_ms: wallMs,
      ...(cpuMs === undefined ? {} : { cpu_ms: cpuMs }),
    },
  }, fenced?.guard);
}
