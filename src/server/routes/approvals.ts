import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ApprovalRow, findApproval, listApprovals, listVotes } from '../../approvals/index.js';
import { listAuditEvents } from '../../audit/index.js';
import { AosError } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import { type Caller, requireScope } from '../auth/index.js';
import { callerOf } from './actors.js';
import { eventSchema, eventView } from './audit.js';

const STATUSES = ['pending', 'approved', 'denied', 'consumed', 'expired'] as const;

const approvalSchema = z.object({
  id: z.string(),
  status: z.enum(STATUSES),
  tool: z.string(),
  args: z.json(),
  args_hash: z.string(),
  blast_radius: z.string(),
  blast_reason: z.string(),
  grant_used: z.json(),
  session_id: z.string(),
  actor_id: z.string(),
  requested_at: z.string(),
  decided_at: z.string().nullable(),
  decided_by: z.string().nullable(),
  decision_reason: z.string().nullable(),
  consumed_at: z.string().nullable(),
  expires_at: z.string().nullable(),
  quorum: z.number(),
  approvers: z.array(z.string()).nullable().describe('who may approve; null: any caller with the approve scope'),
  separation_of_duties: z.boolean(),
  requested_by: z.string().nullable(),
});

const iso = (date: Date | null) => (date ? new Date(date).toISOString() : null);

function approvalView(row: ApprovalRow): z.infer<typeof approvalSchema> {
  const { reported_at, ...rest } = row;
  return { ...rest, requested_at: iso(row.requested_at)!, decided_at: iso(row.decided_at), consumed_at: iso(row.consumed_at), expires_at: iso(row.expires_at) };
}

function requireReader(caller: Caller): void {
  if (!caller.scopes.approve && !caller.scopes.admin) requireScope(caller, 'audit', 'read approvals');
}

/** Approvals: list, inspect (with the evidence that led to the request), approve, deny. */
export function registerApprovalRoutes(app: FastifyInstance, runtime: Runtime): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get(
    '/api/v1/approvals',
    {
      schema: {
        summary: 'List approvals, newest first',
        tags: ['approvals'],
        querystring: z.object({ status: z.enum(STATUSES).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: { 200: z.object({ approvals: z.array(approvalSchema) }) },
      },
    },
    async (request) => {
      requireReader(callerOf(request));
      return { approvals: (await listApprovals(runtime.db, request.query)).map(approvalView) };
    },
  );
  routes.get(
    '/api/v1/approvals/:id',
    {
      schema: {
        summary: 'One approval: the proposed call, its full arguments and hash, blast radius, the actor\'s scope and the evidence trail',
        tags: ['approvals'],
        params: z.object({ id: z.string() }),
        response: {
          200: approvalSchema.extend({
            actor: z.object({ id: z.string(), class: z.string(), principal: z.string(), parent_id: z.string().nullable(), grants: z.json() }).nullable(),
            votes: z.array(z.object({ approver: z.string(), credential: z.string().nullable(), decision: z.enum(['approve', 'deny']), reason: z.string().nullable(), at: z.string() })),
            evidence: z.array(eventSchema),
          }),
        },
      },
    },
    async (request) => {
      requireReader(callerOf(request));
      const approval = await findApproval(runtime.db, request.params.id);
      const actor = (
        await runtime.db.query<{ id: string; class: string; principal: string; parent_id: string | null; grants: z.infer<ReturnType<typeof z.json>> }>(
          'SELECT id, class, principal, parent_id, grants FROM actors WHERE id = $1',
          [approval.actor_id],
        )
      ).rows[0];
      const evidence = await listAuditEvents(runtime.db, { sessionId: approval.session_id, limit: 50 });
      const votes = (await listVotes(runtime.db, approval.id)).map((vote) => ({ ...vote, at: iso(vote.at)! }));
      return { ...approvalView(approval), actor: actor ?? null, votes, evidence: evidence.map(eventView) };
    },
  );
  for (const decision of ['approve', 'deny'] as const) {
    routes.post(
      `/api/v1/approvals/:id/${decision}`,
      {
        schema: {
          summary: decision === 'approve' ? 'Vote to approve a pending call (approve scope); at quorum it may run exactly once' : 'Deny a pending call (approve scope)',
          tags: ['approvals'],
          params: z.object({ id: z.string() }),
          body: z.strictObject({ reason: z.string().max(1000).optional() }),
          response: { 200: approvalSchema },
        },
      },
      async (request) => {
        const caller = callerOf(request);
        requireScope(caller, 'approve', `${decision} approvals`);
        if (decision === 'deny' && !request.body.reason) throw new AosError('INVALID_INPUT', 'reason: a denial needs a reason', { field: 'reason' });
        return approvalView(await runtime.syscall.decide(request.params.id, decision, caller.principal, request.body.reason, caller.credentialId ?? undefined));
      },
    );
  }
}
