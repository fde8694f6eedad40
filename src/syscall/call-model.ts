import { appendAuditEvents } from '../audit/index.js';
import { AosError, isAosError } from '../errors.js';
import { actualCost, estimateInputTokens, formatUsd, type Pico, type Rate, rateFor, reserve, type Reservation, settle, worstCase } from '../ledger/index.js';
import type { ChatResult, ChatUsage } from '../llm/types.js';
import { canonicalJson, sha256Hex } from '../security/canonical/index.js';
import { type CapabilityClaims, findGrant } from '../security/capability/index.js';
import { deadActor, requireLiveActor, verifyCaller } from './caller.js';
import { chatRequestOf, type ModelRequest, parseModelRequest } from './model-request.js';
import type { ActorClass, ModelBackend, SyscallDeps } from './ports.js';
import { recordRefusal } from './record.js';
import { presentToolMessages } from './tool-messages.js';

export interface ModelCallOutcome {
  result: ChatResult;
  /** What the call was charged, as a dollar string; null when the model is unpriced. */
  usd: string | null;
  /** True when the provider sent no usage and the charge is the reserved worst case. */
  estimated: boolean;
}

export interface ModelCallOptions {
  signal?: AbortSignal;
  onText?: (delta: string) => void;
  epoch?: number;
  /**
   * The tool messages are already scanned and wrapped (the agent loop's, from callTool's scan):
   * not scanned again. Only an in-process caller can say so; the gateway never does.
   */
  toolResultsWrapped?: boolean;
}

interface Admitted {
  claims: CapabilityClaims;
  cls: ActorClass;
  envelope: NonNullable<ActorClass['models']>;
  request: ModelRequest;
  model: ModelBackend;
  rate: Rate | null;
  maxTokens: number;
}

type RefusalType = 'CAPABILITY_DENIED' | 'EGRESS_DENIED' | 'MODEL_UNPRICED' | 'COST_CEILING_EXCEEDED';

async function refuse(deps: SyscallDeps, claims: CapabilityClaims, principal: string | null, type: RefusalType, error: AosError, backend: unknown, model: unknown) {
  // A killed actor learns only that it is dead, not why its call would have been refused.
  const answer = (await deadActor(deps.db, claims)) ?? error;
  return recordRefusal(deps, { sessionId: claims.sid, actorId: claims.sub, principal, type: answer === error ? type : 'CAPABILITY_DENIED' }, answer, {
    operation: 'call_model',
    backend: typeof backend === 'string' ? backend : null,
    model: typeof model === 'string' ? model : null,
  });
}

/**
 * Guards 1 to 2 of a model call: the request's shape, the grant (`llm.<backend>`, constrained
 * on `model`), the envelope (the class's allowed_backends, whatever the grants say), and a price.
 */
async function admit(deps: SyscallDeps, claims: CapabilityClaims, input: unknown, principal: string | null): Promise<Admitted> {
  const raw = (typeof input === 'object' && input !== null ? input : {}) as { backend?: unknown; model?: unknown };
  let type: RefusalType = 'CAPABILITY_DENIED';
  try {
    const request = parseModelRequest(input);
    const match = findGrant(claims.grants, `llm.${request.backend}`, { model: request.model });
    if ('denied' in match) throw new AosError('CAPABILITY_DENIED', match.denied, { tool: `llm.${request.backend}` });
    const cls = deps.classes.get(claims.cls);
    const envelope = cls?.models;
    type = 'EGRESS_DENIED';
    if (!cls || !envelope?.allowedBackends.includes(request.backend)) {
      throw new AosError(
        'EGRESS_DENIED',
        `class "${claims.cls}" may not reach backend "${request.backend}"; its allowed_backends: ${envelope?.allowedBackends.join(', ') || '(none)'}`,
        { class: claims.cls, backend: request.backend },
      );
    }
    const model = deps.models?.get(request.backend);
    if (!model) throw new AosError('EGRESS_DENIED', `no backend named "${request.backend}" is configured under llm.backends`, { backend: request.backend });
    type = 'MODEL_UNPRICED';
    const rate = rateFor(model.pricing, request.model);
    if (rate === null && !envelope.allowUnpriced) {
      throw new AosError(
        'MODEL_UNPRICED',
        `${request.backend}/${request.model} has no price (llm.backends.${request.backend}.prices) and class "${cls.name}" does not allow unpriced models`,
        { backend: request.backend, model: request.model },
      );
    }
    return { claims, cls, envelope, request, model, rate, maxTokens: request.max_tokens ?? envelope.defaultMaxTokens };
  } catch (error) {
    if (!isAosError(error)) throw error;
    throw await refuse(deps, claims, principal, type, error, raw.backend, raw.model);
  }
}

/**
 * The model-call syscall: verify token → request, grant, envelope, price → scan and wrap the tool
 * messages (tool-messages.ts) → reserve the worst case, the wrapped text counted, against the
 * ceilings (refused before any connection is opened) → call the backend → settle the reservation
 * to the reported usage (or, without usage, to the worst case, flagged) and record LLM_CALL in
 * the same transaction. The audit row holds counts, cost and a hash of the request, never the
 * prompt itself.
 *
 * @example
 * const { result, usd } = await callModel(deps, token, { backend: 'local', model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] });
 */
export async function callModel(
  deps: SyscallDeps,
  token: string,
  input: unknown,
  principal: string | null = null,
  options: ModelCallOptions = {},
): Promise<ModelCallOutcome> {
  const claims = await verifyCaller(deps, token, 'call_model', principal);
  const call = await admit(deps, claims, input, principal);
  const { request, model, rate, cls, envelope } = call;
  const messages = options.toolResultsWrapped ? request.messages : await presentToolMessages(deps, claims, principal, request.messages);
  const chat = chatRequestOf({ ...request, messages }, call.maxTokens);
  const inputTokens = estimateInputTokens(canonicalJson({ system: request.system ?? null, messages, tools: request.tools ?? null }, 'request'), messages.length);
  const worst = rate === null ? 0n : worstCase(rate, { inputTokens, maxTokens: call.maxTokens, timeoutMs: model.timeoutMs });
  let hold: Reservation;
  try {
    hold = await reserve(
      deps.db,
      deps.clock,
      {
        sessionId: claims.sid,
        actorId: claims.sub,
        className: cls.name,
        backend: request.backend,
        model: request.model,
        usd: worst,
        holdMs: 2 * model.timeoutMs + 60_000,
        sessionCeiling: envelope.sessionCeiling,
        dailyCeiling: envelope.dailyCeiling,
      },
      // A worker's call also needs its lease: a stale worker cannot start (or pay for) one.
      (tx) => requireLiveActor(tx, claims, options.epoch).then(() => undefined),
    );
  } catch (error) {
    if (!isAosError(error) || error.code === 'LEASE_LOST') throw error;
    const type = error.code === 'COST_CEILING_EXCEEDED' ? 'COST_CEILING_EXCEEDED' : 'CAPABILITY_DENIED';
    throw await refuse(deps, claims, principal, type, error, request.backend, request.model);
  }

  const began = performance.now();
  let result: ChatResult | null = null;
  let failure: AosError | null = null;
  try {
    const { epoch: _epoch, toolResultsWrapped: _wrapped, ...chatOptions } = options;
    result = await model.backend.chat(chat, { stream: request.stream === true || options.onText !== undefined, ...chatOptions });
  } catch (error) {
    failure = isAosError(error) ? error : new AosError('LLM_BACKEND_FAILED', `${request.backend} failed: ${(error as Error).message}`, { backend: request.backend }, { cause: error });
  }
  const wallMs = performance.now() - began;
  const usage = result?.usage ?? null;
  const { charged, estimated } = charge(rate, usage, wallMs, worst, failure);
  await deps.db.transaction(async (tx) => {
    await settle(tx, deps.clock, hold, {
      usd: charged,
      inputTokens: usage?.inputTokens ?? null,
      outputTokens: usage?.outputTokens ?? null,
      cachedInputTokens: usage?.cachedInputTokens ?? null,
      wallMs,
      estimated,
    });
    await appendAuditEvents(tx, deps.clock, [
      {
        sessionId: claims.sid,
        type: 'LLM_CALL',
        actorId: claims.sub,
        principal,
        payload: {
          backend: request.backend,
          model: request.model,
          answered_by: result?.model ?? null,
          // The request as the caller sent it: the wrapped text differs on every call (its nonces).
          request_sha256: sha256Hex(canonicalJson(request, 'request')),
          input_tokens: usage?.inputTokens ?? null,
          output_tokens: usage?.outputTokens ?? null,
          cached_input_tokens: usage?.cachedInputTokens ?? null,
          usd: charged === null ? null : formatUsd(charged, 12),
          reserved_usd: formatUsd(worst, 12),
          priced: rate !== null,
          estimated,
          latency_ms: Math.round(wallMs),
          stop_reason: result?.stopReason ?? null,
          tool_calls: result?.toolCalls.length ?? 0,
          error: failure ? { code: failure.code, reason: failure.message } : null,
        },
      },
    ]);
  });
  if (failure) throw failure;
  return { result: result!, usd: charged === null ? null : formatUsd(charged, 12), estimated };
}

/**
 * What a finished (or failed) call is charged. Unpriced: null. A provider that answered with an
 * HTTP error did not bill: 0. Compute-priced: the wall time. Reported usage: its price. No usage
 * (a reply without counts, or a call that timed out after the provider may have started): the
 * reserved worst case, flagged as estimated.
 */
function charge(rate: Rate | null, usage: ChatUsage | null, wallMs: number, worst: Pico, failure: AosError | null): { charged: Pico | null; estimated: boolean } {
  if (rate === null) return { charged: null, estimated: false };
  if (failure !== null && typeof failure.details.status === 'number') return { charged: 0n, estimated: false };
  if (rate.kind === 'compute') return { charged: actualCost(rate, noUsage, wallMs), estimated: false };
  if (usage !== null) return { charged: actualCost(rate, usage, wallMs), estimated: false };
  return { charged: worst, estimated: true };
}

const noUsage: ChatUsage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteInputTokens: 0 };
