import { type ApprovalRow, decideApproval } from '../approvals/index.js';
import type { Grant } from '../security/capability/index.js';
import { callModel, type ModelCallOptions, type ModelCallOutcome } from './call-model.js';
import { type Renewal, renew } from './renew.js';
import { callTool, type StepContext, type ToolCallOutcome } from './call-tool.js';
import { verifyCaller } from './caller.js';
import { kill, killAll } from './kill.js';
import type { SyscallDeps } from './ports.js';
import { type SpawnOutcome, type SpawnRequest, spawn } from './spawn.js';

export type { ModelCallOutcome } from './call-model.js';
export type { StepContext, ToolCallOutcome } from './call-tool.js';
export { untrustedWarning } from './injection.js';
export type { Renewal } from './renew.js';
export { type ModelRequest, modelRequestSchema } from './model-request.js';
export type { ActorClass, ModelBackend, SyscallDeps, TokenPort, ToolPort, ToolResult } from './ports.js';
export type { SpawnOutcome, SpawnRequest } from './spawn.js';

/**
 * The single policy boundary. Every operation of every actor enters here; nothing reaches a
 * tool, the actor table or the audit chain any other way.
 *
 * @example
 * const syscall = new Syscall(deps);
 * const { token } = await syscall.spawn({ className: 'reviewer', grants: [{ tool: 'fs.read' }] });
 * await syscall.callTool(token, 'fs.read', { path: 'README.md' });
 */
export class Syscall {
  constructor(private readonly deps: SyscallDeps) {}

  spawn(request: SpawnRequest): Promise<SpawnOutcome> {
    return spawn(this.deps, request);
  }

  callTool(
    token: string,
    tool: string,
    args: unknown,
    principal: string | null = null,
    step?: StepContext,
  ): Promise<ToolCallOutcome> {
    return callTool(this.deps, token, tool, args, principal, step);
  }

  /** A model call through the envelope and the ceilings; see callModel. */
  callModel(
    token: string,
    request: unknown,
    principal: string | null = null,
    options: ModelCallOptions = {},
  ): Promise<ModelCallOutcome> {
    return callModel(this.deps, token, request, principal, options);
  }

  /** Verifies a capability token as every operation does (AUTH_REJECTED recorded when bad), for transports that must refuse early. */
  async verify(token: string, operation: string): Promise<void> {
    await verifyCaller(this.deps, token, operation, null);
  }

  /** Re-mints an actor's token (new jti, fresh TTL); a token_expired actor is requeued. */
  renew(actorId: string, principal: string, reason: string, options: { notAfter?: Date; epoch?: number } = {}): Promise<Renewal> {
    return renew(this.deps, { actorId, principal, reason, ...options });
  }

  kill(actorId: string, principal: string, reason: string): Promise<string[]> {
    return kill(this.deps, { actorId, principal, reason });
  }

  /** Kills every live actor of a session, or of a class, with their descendants. */
  killAll(scope: { sessionId: string } | { className: string }, principal: string, reason: string): Promise<string[]> {
    return killAll(this.deps, { ...scope, principal, reason });
  }

  /** Records an operator's decision on a pending approval; the approved call may then run once. */
  decide(id: string, decision: 'approve' | 'deny', operator: string, reason?: string, credential?: string): Promise<ApprovalRow> {
    return decideApproval(this.deps.db, this.deps.clock, { id, decision, operator, reason, credential });
  }

  /** Spawns a child of the actor holding `parentToken`; grants narrow, never widen. */
  spawnChild(parentToken: string, className: string, grants: Grant[]): Promise<SpawnOutcome> {
    return spawn(this.deps, { parentToken, className, grants });
  }
}
