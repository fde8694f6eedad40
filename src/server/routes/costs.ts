import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { headroom, ROLLUP_DIMENSIONS, rollup } from '../../ledger/index.js';
import type { Runtime } from '../../runtime.js';
import { requireScope } from '../auth/index.js';
import { callerOf } from './actors.js';

const rowSchema = z.object({
  key: z.string(),
  entries: z.number(),
  usd: z.string().describe('priced spend in dollars, six places, rounded up'),
  unpriced: z.number().describe('entries with no price: their cost is unknown, not zero'),
  estimated: z.number().describe('entries charged their reserved worst case (the provider reported no usage)'),
  input_tokens: z.number(),
  output_tokens: z.number(),
  wall_ms: z.number(),
  cpu_ms: z.number().describe('CPU time measured for command tools (other tools add nothing)'),
});

/** Spend from the ledger, rolled up (audit scope: it shows what every class and session did). */
export function registerCostRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/costs',
    {
      schema: {
        summary: 'Spend by actor class, session, UTC day, or backend/model (tool compute as tool:<name>)',
        tags: ['costs'],
        querystring: z.object({
          by: z.enum(ROLLUP_DIMENSIONS).default('class'),
          since: z.iso.datetime({ offset: true }).optional(),
          until: z.iso.datetime({ offset: true }).optional(),
          class: z.string().optional(),
          session_id: z.string().optional(),
        }),
        response: { 200: z.object({ by: z.enum(ROLLUP_DIMENSIONS), rows: z.array(rowSchema) }) },
      },
    },
    async (request) => {
      requireScope(callerOf(request), 'audit', 'read costs');
      const { by, since, until, class: className, session_id: sessionId } = request.query;
      const rows = await rollup(runtime.db, {
        by,
        since: since === undefined ? undefined : new Date(since),
        until: until === undefined ? undefined : new Date(until),
        className,
        sessionId,
      });
      return { by, rows };
    },
  );
  const used = z.number().nullable().describe('(spent + held) / ceiling; null without a ceiling');
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/costs/headroom',
    {
      schema: {
        summary: 'How close each live session (per class of its live actors) and each class today is to its ceiling: spend plus open holds',
        tags: ['costs'],
        response: {
          200: z.object({
            sessions: z.array(z.object({ session_id: z.string(), class: z.string(), live_actors: z.number(), spent_usd: z.string(), held_usd: z.string(), ceiling_usd: z.string().nullable(), used })),
            classes: z.array(z.object({ class: z.string(), spent_usd: z.string(), held_usd: z.string(), ceiling_usd: z.string().nullable(), used })),
          }),
        },
      },
    },
    async (request) => {
      requireScope(callerOf(request), 'audit', 'read costs');
      return headroom(runtime.db, runtime.config.actor_classes, runtime.deps.clock.now());
    },
  );
}
