import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type AuditEvent, listAuditEvents, verifyStoredChains } from '../../audit/index.js';
import { buildProofFile } from '../../audit/log/index.js';
import { AosError } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import { requireScope } from '../auth/index.js';
import { callerOf } from './actors.js';

export const eventSchema = z.object({
  id: z.number(),
  session_id: z.string(),
  chain_seq: z.number(),
  prev_hash: z.string(),
  hash: z.string(),
  type: z.string(),
  actor_id: z.string().nullable(),
  principal: z.string().nullable(),
  payload: z.json(),
  at: z.string(),
});

export function eventView(event: AuditEvent): z.infer<typeof eventSchema> {
  return { ...event, id: Number(event.id), chain_seq: Number(event.chain_seq) };
}

/** The audit log: query, verify a session, and proofs of inclusion (audit scope). */
export function registerAuditRoutes(app: FastifyInstance, runtime: Runtime): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get(
    '/api/v1/audit/events',
    {
      schema: {
        summary: 'Audit events matching the filter (the newest `limit`, oldest first)',
        tags: ['audit'],
        querystring: z.object({
          session_id: z.string().optional(),
          actor_id: z.string().optional(),
          type: z.string().optional(),
          since: z.iso.datetime({ offset: true }).optional(),
          until: z.iso.datetime({ offset: true }).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: { 200: z.object({ events: z.array(eventSchema) }) },
      },
    },
    async (request) => {
      requireScope(callerOf(request), 'audit', 'read the audit log');
      const query = request.query;
      const events = await listAuditEvents(runtime.db, {
        sessionId: query.session_id,
        actorId: query.actor_id,
        type: query.type,
        since: query.since === undefined ? undefined : new Date(query.since),
        until: query.until === undefined ? undefined : new Date(query.until),
        limit: query.limit,
      });
      return { events: events.map(eventView) };
    },
  );
  routes.get(
    '/api/v1/audit/sessions/:id/verify',
    {
      schema: {
        summary: 'Verify one session\'s hash chain; ok false names the first bad row',
        tags: ['audit'],
        params: z.object({ id: z.string() }),
        response: {
          200: z.object({
            ok: z.boolean(),
            events: z.number(),
            first_break: z.object({ id: z.number(), session_id: z.string(), chain_seq: z.number(), reason: z.string() }).nullable(),
          }),
        },
      },
    },
    async (request) => {
      requireScope(callerOf(request), 'audit', 'verify the audit log');
      const report = await verifyStoredChains(runtime.db, { sessionId: request.params.id });
      if (report.sessions === 0) throw new AosError('NOT_FOUND', `no audit events for session ${request.params.id}`, { sessionId: request.params.id });
      const bad = report.firstBreak;
      return {
        ok: bad === null,
        events: report.events,
        first_break: bad && { id: Number(bad.id), session_id: bad.session_id, chain_seq: Number(bad.chain_seq), reason: bad.reason },
      };
    },
  );
  routes.get(
    '/api/v1/audit/events/:id/proof',
    {
      schema: {
        summary: 'A self-contained proof that the event is in the signed log (aosiq-event-proof/1; check with aosiq audit verify-proof)',
        tags: ['audit'],
        params: z.object({ id: z.coerce.number().int().positive() }),
      },
    },
    async (request, reply) => {
      requireScope(callerOf(request), 'audit', 'fetch proofs');
      await runtime.seal(true);
      const proof = await buildProofFile(runtime.db, request.params.id);
      return reply.type('application/json').send(proof);
    },
  );
}
