import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordAuditEvent } from '../../audit/append.js';
import { SYSTEM_SESSION } from '../../audit/event.js';
import { AosError, isAosError } from '../../errors.js';
import type { ActorRow } from '../../kernel/actor.js';
import { listActors } from '../../kernel/list-actors.js';
import type { Runtime } from '../../runtime.js';
import { type Caller, requireScope, requireSpawnClass } from '../auth/index.js';
import type { Metrics } from '../metrics.js';

const jsonValue = z.json();
const grantsSchema = z.array(z.record(z.string(), jsonValue)).describe('grants as in aosiq.yaml: { tool, constraints? }');

const actorSchema = z.object({
  id: z.string(),
  session_id: z.string(),
  class: z.string(),
  kind: z.string(),
  parent_id: z.string().nullable(),
  state: z.string(),
  grants: z.array(jsonValue),
  delegation_depth: z.number(),
  token_expires_at: z.string(),
  principal: z.string(),
  program: jsonValue.nullable().describe('what the runtime runs for it (a workflow run); null when driven from outside'),
  lease_epoch: z.number(),
  worker: z.string().nullable(),
  last_heartbeat: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

function actorView(row: ActorRow): z.infer<typeof actorSchema> {
  const { token_jti, ...rest } = row;
  return {
    ...rest,
    grants: row.grants,
    delegation_depth: Number(row.delegation_depth),
    program: (row.program ?? null) as z.infer<typeof jsonValue> | null,
    lease_epoch: Number(row.lease_epoch),
    last_heartbeat: row.last_heartbeat ? new Date(row.last_heartbeat).toISOString() : null,
    token_expires_at: new Date(row.token_expires_at).toISOString(),
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/** The API caller of a key route (never null there: authentication ran first). */
export function callerOf(request: FastifyRequest): Caller {
  if (request.caller === null) throw new AosError('AUTH_MISSING', 'this route needs an API key');
  return request.caller;
}

/** A scope refusal is recorded like any other denial: one row in the system chain. */
async function refuseSpawn(runtime: Runtime, caller: Caller, className: string, error: AosError): Promise<never> {
  await recordAuditEvent(runtime.db, runtime.deps.clock, {
    sessionId: SYSTEM_SESSION,
    type: 'CAPABILITY_DENIED',
    actorId: null,
    principal: caller.principal,
    payload: { operation: 'spawn', class: className, code: error.code, reason: error.message },
  });
  throw error;
}

/** Spawning, listing, inspecting and killing actors, and calling tools as an actor. */
export function registerActorRoutes(app: FastifyInstance, runtime: Runtime, metrics: Metrics): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.post(
    '/api/v1/agents',
    {
      config: { auth: 'capability' },
      schema: {
        summary: 'Spawn an actor',
        description:
          'With an API key: a top-level actor of a class the key may spawn, its grants clamped to the key\'s grants. With a capability token: a child of that actor, never exceeding it. Dropped grants are listed with reasons.',
        tags: ['actors'],
        body: z.strictObject({ class: z.string().min(1), grants: grantsSchema }),
        response: {
          201: z.object({
            actor_id: z.string(),
            session_id: z.string(),
            token: z.string(),
            grants: z.array(jsonValue),
            dropped: z.array(z.object({ grant: jsonValue, reason: z.string() })),
            expires_at: z.string(),
            depth: z.number(),
          }),
        },
      },
    },
    async (request, reply) => {
      const { class: className, grants } = request.body;
      let outcome;
      if (request.capability !== null) {
        outcome = await runtime.syscall.spawn({ className, grants: grants as never, parentToken: request.capability });
      } else {
        const caller = callerOf(request);
        try {
          requireSpawnClass(caller, className);
        } catch (error) {
          if (isAosError(error)) await refuseSpawn(runtime, caller, className, error);
          throw error;
        }
        outcome = await runtime.syscall.spawn({
          className,
          grants: grants as never,
          principal: caller.principal,
          authority: caller.kind === 'anonymous' ? undefined : { name: caller.principal, grants: caller.scopes.grants },
        });
      }
      return reply.status(201).send({
        actor_id: outcome.actorId,
        session_id: outcome.sessionId,
        token: outcome.token,
        grants: outcome.grants,
        dropped: outcome.dropped,
        expires_at: outcome.expiresAt.toISOString(),
        depth: outcome.depth,
      });
    },
  );
  routes.get(
    '/api/v1/agents',
    {
      schema: {
        summary: 'List actors, newest first',
        tags: ['actors'],
        querystring: z.object({ session_id: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).default(50) }),
        response: { 200: z.object({ actors: z.array(actorSchema) }) },
      },
    },
    async (request) => ({ actors: (await listActors(runtime.db, { sessionId: request.query.session_id, limit: request.query.limit })).map(actorView) }),
  );
  routes.get(
    '/api/v1/agents/:id',
    { schema: { summary: 'One actor', tags: ['actors'], params: z.object({ id: z.string() }), response: { 200: actorSchema } } },
    async (request) => {
      const { rows } = await runtime.db.query<ActorRow>('SELECT * FROM actors WHERE id = $1', [request.params.id]);
      if (!rows[0]) throw new AosError('NOT_FOUND', `no actor with id "${request.params.id}"`, { actorId: request.params.id });
      return actorView(rows[0]);
    },
  );
  routes.post(
    '/api/v1/agents/:id/kill',
    {
      schema: {
        summary: 'Kill an actor and its live descendants (admin scope)',
        tags: ['actors'],
        params: z.object({ id: z.string() }),
        body: z.strictObject({ reason: z.string().min(1).max(1000) }),
        response: { 200: z.object({ killed: z.array(z.string()) }) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      requireScope(caller, 'admin', 'kill actors');
      return { killed: await runtime.syscall.kill(request.params.id, caller.principal, request.body.reason) };
    },
  );
  routes.post(
    '/api/v1/kill',
    {
      schema: {
        summary: 'Kill switch: every live actor of a session or of a class, with descendants (admin scope)',
        tags: ['actors'],
        body: z.union([
          z.strictObject({ session_id: z.string().min(1), reason: z.string().min(1).max(1000) }),
          z.strictObject({ class: z.string().min(1), reason: z.string().min(1).max(1000) }),
        ]),
        response: { 200: z.object({ killed: z.array(z.string()) }) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      requireScope(caller, 'admin', 'kill actors');
      const body = request.body;
      const scope = 'session_id' in body ? { sessionId: body.session_id } : { className: body.class };
      return { killed: await runtime.syscall.killAll(scope, caller.principal, body.reason) };
    },
  );
  routes.post(
    '/api/v1/agents/:id/renew',
    {
      schema: {
        summary: "Re-mint an actor's token (admin scope); a token_expired actor resumes from its last checkpoint",
        tags: ['actors'],
        params: z.object({ id: z.string() }),
        body: z.strictObject({ reason: z.string().min(1).max(1000) }),
        response: { 200: z.object({ actor_id: z.string(), token: z.string(), expires_at: z.string(), from: z.string(), to: z.string() }) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      requireScope(caller, 'admin', 'renew tokens');
      const renewed = await runtime.syscall.renew(request.params.id, caller.principal, request.body.reason);
      return { actor_id: renewed.actorId, token: renewed.token, expires_at: renewed.expiresAt.toISOString(), from: renewed.from, to: renewed.to };
    },
  );
  routes.post(
    '/api/v1/calls',
    {
      config: { auth: 'capability' },
      schema: {
        summary: 'Call a tool as the actor whose capability token is the bearer credential',
        description: 'An irreversible tool answers 202 with the pending approval; the same call made after approval runs exactly once.',
        tags: ['calls'],
        body: z.strictObject({ tool: z.string().min(1), args: jsonValue.default({}) }),
        response: {
          200: z.object({ call_id: z.string(), result: jsonValue, approval_id: z.string().nullable() }),
          202: z.object({ status: z.literal('approval_required'), approval_id: z.string(), tool: z.string(), args_hash: z.string(), detail: z.string() }),
        },
      },
    },
    async (request, reply) => {
      if (request.capability === null) {
        throw new AosError('INVALID_TOKEN', 'calling a tool needs the actor\'s capability token as the bearer credential; an API key does not carry authority to call tools');
      }
      const tool = request.body.tool;
      // Metric labels only ever name registered tools, so callers cannot grow the label set.
      const label = runtime.tools.has(tool) ? tool : 'unregistered';
      try {
        const outcome = await runtime.syscall.callTool(request.capability, tool, request.body.args);
        metrics.calls.inc({ tool: label, outcome: 'completed' });
        return reply.status(200).send({ call_id: outcome.callId, result: outcome.result, approval_id: outcome.approvalId });
      } catch (error) {
        if (isAosError(error, 'APPROVAL_REQUIRED')) {
          metrics.calls.inc({ tool: label, outcome: 'approval_required' });
          const { approvalId, argsHash } = error.details as { approvalId: string; argsHash: string };
          return reply.status(202).send({ status: 'approval_required', approval_id: approvalId, tool, args_hash: argsHash, detail: error.message });
        }
        metrics.calls.inc({ tool: label, outcome: isAosError(error, 'TOOL_FAILED') ? 'failed' : 'refused' });
        throw error;
      }
    },
  );
}
