/**
 * The MCP server's own tools. wait_for_approval lets a client block (with progress
 * notifications) until an approval of its own actor is decided; spawn_subagent mints a child
 * token, the intersection of the caller's grants and the request, for a sub-agent's own
 * connection.
 */
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest, Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { findApproval } from '../approvals/index.js';
import { AosError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { type CapabilityClaims, grantSchema } from '../security/capability/index.js';
import { errorResult, jsonResult } from './results.js';
import type { McpSession } from './server.js';

/** Longest a single wait_for_approval may block. */
export const MAX_WAIT_SECONDS = 600;

export const WAIT_FOR_APPROVAL: Tool = {
  name: 'wait_for_approval',
  description: `Waits until a pending approval of yours is decided (or timeout_seconds pass, at most ${MAX_WAIT_SECONDS}), reporting progress. Then call the tool again with the same arguments: an approved call runs once.`,
  inputSchema: {
    type: 'object',
    properties: {
      approval_id: { type: 'string', description: 'the id from the approval-pending result' },
      timeout_seconds: { type: 'integer', minimum: 1, maximum: MAX_WAIT_SECONDS, default: 60 },
    },
    required: ['approval_id'],
    additionalProperties: false,
  },
  annotations: { title: 'wait_for_approval', readOnlyHint: true, destructiveHint: false },
};

export const SPAWN_SUBAGENT: Tool = {
  name: 'spawn_subagent',
  description:
    "Mints a capability token for a sub-agent: the intersection of your grants, the class's template and the grants you ask for, never more. Returns the token (hand it to the sub-agent's own MCP connection) and what was dropped, with reasons.",
  inputSchema: {
    type: 'object',
    properties: {
      class: { type: 'string', description: 'actor class from aosiq.yaml' },
      grants: {
        type: 'array',
        description: 'grants to ask for, e.g. [{"tool": "fs.read"}]; each may carry argument constraints',
        items: { type: 'object', properties: { tool: { type: 'string' }, constraints: { type: 'object' } }, required: ['tool'] },
      },
    },
    required: ['class', 'grants'],
    additionalProperties: false,
  },
  annotations: { title: 'spawn_subagent', readOnlyHint: false, destructiveHint: false },
};

const waitInput = z.strictObject({ approval_id: z.string().min(1).max(200), timeout_seconds: z.int().min(1).max(MAX_WAIT_SECONDS).default(60) });
const spawnInput = z.strictObject({ class: z.string().min(1).max(200), grants: z.array(grantSchema).max(100) });

function parse<T>(schema: z.ZodType<T>, args: unknown, tool: string): T {
  const parsed = schema.safeParse(args);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AosError('INVALID_INPUT', `${tool}: ${issue.path.join('.') || 'arguments'}: ${issue.message}`, { field: issue.path.join('.') });
  }
  return parsed.data;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Polls the approval (only the caller's own) until it is no longer pending, the timeout, or cancellation. */
export async function waitForApproval(runtime: Runtime, claims: CapabilityClaims, args: unknown, extra: Extra): Promise<CallToolResult> {
  const { approval_id: id, timeout_seconds: timeout } = parse(waitInput, args, WAIT_FOR_APPROVAL.name);
  const started = Date.now();
  const progressToken = extra._meta?.progressToken;
  for (let tick = 0; ; tick++) {
    const approval = await findApproval(runtime.db, id);
    if (approval.actor_id !== claims.sub) {
      return errorResult(new AosError('CAPABILITY_DENIED', `approval ${id} belongs to another actor`, { approvalId: id }));
    }
    const waited = (Date.now() - started) / 1000;
    if (approval.status !== 'pending' || waited >= timeout || extra.signal.aborted) {
      return jsonResult({
        approval_id: id,
        status: approval.status,
        decided_by: approval.decided_by,
        reason: approval.decision_reason,
        waited_seconds: Math.round(waited),
        next: approval.status === 'approved' ? `call ${approval.tool} again with the same arguments: it runs once` : approval.status === 'pending' ? 'still pending: wait again or try later' : 'not approved: do not retry',
      });
    }
    if (progressToken !== undefined) {
      await extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken, progress: Math.floor(waited), total: timeout, message: `waiting for a human to decide approval ${id} (${approval.tool})` },
      });
    }
    await new Promise((resolve) => setTimeout(resolve, tick < 10 ? 200 : 1000));
  }
}

/** A child token for a sub-agent, never exceeding the caller's grants. */
export async function spawnSubagent(runtime: Runtime, session: McpSession, args: unknown): Promise<CallToolResult> {
  const request = parse(spawnInput, args, SPAWN_SUBAGENT.name);
  const child = await runtime.syscall.spawnChild(session.token, request.class, request.grants);
  return jsonResult({
    actor_id: child.actorId,
    session_id: child.sessionId,
    token: child.token,
    grants: child.grants,
    dropped: child.dropped,
    expires_at: child.expiresAt.toISOString(),
  });
}
