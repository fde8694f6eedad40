import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { deliveryCounts } from '../../notifications/index.js';
import type { Runtime } from '../../runtime.js';
import type { AppOptions } from '../app.js';
import { callerOf } from './actors.js';

const sinkSchema = z.object({
  sink: z.string(),
  protection: z.string().nullable(),
  ok: z.boolean(),
  successes: z.number(),
  failures: z.number(),
  last_success_at: z.string().nullable(),
  last_error: z.string().nullable(),
  anchored_size: z.number(),
});

const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  auth_mode: z.enum(['enforced', 'warn', 'disabled']),
  database: z.object({ kind: z.string(), reachable: z.boolean(), error: z.string().nullable() }),
  audit_anchors: z.object({
    successes: z.number(),
    failures: z.number(),
    last_success_at: z.string().nullable(),
    last_error: z.string().nullable(),
    checkpoint_size: z.number(),
    anchored_size: z.number(),
    lag_events: z.number(),
    lag_seconds: z.number(),
    sinks: z.array(sinkSchema),
  }),
  scheduler: z.object({
    status: z.enum(['running', 'not_running']),
    workers: z.array(z.string()),
    concurrency: z.number().describe('actors each worker runs at once'),
    active: z.number().describe('actors this process runs now'),
    schedules: z.array(z.object({ workflow: z.string(), next: z.string().nullable() })),
  }),
  notifications: z.object({
    webhooks: z.array(z.string()),
    pending: z.number(),
    delivered: z.number(),
    failed: z.number(),
    retries_here: z.number().describe('failed attempts that will be retried, by this process'),
    last_error: z.string().nullable(),
  }),
});

/** Health, JWKS, Prometheus metrics and the OpenAPI document: public routes. */
export function registerSystemRoutes(app: FastifyInstance, runtime: Runtime, options: AppOptions): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  routes.get(
    '/api/v1/health',
    {
      config: { auth: 'public' },
      schema: { summary: 'Liveness, auth mode, database reachability and anchor counters', tags: ['system'], security: [], response: { 200: healthSchema, 503: healthSchema } },
    },
    async (_request, reply) => {
      let error: string | null = null;
      await runtime.db.query('SELECT 1').catch((caught: Error) => (error = caught.message));
      const anchors = runtime.anchors;
      const counts = error === null ? await deliveryCounts(runtime.db) : { pending: 0, delivered: 0, failed: 0 };
      const degraded = error !== null || anchors.sinks.some((sink) => !sink.ok) || counts.failed > 0;
      return reply.status(error === null ? 200 : 503).send({
        status: degraded ? 'degraded' : 'ok',
        version: options.version,
        auth_mode: options.authMode,
        database: { kind: runtime.db.kind, reachable: error === null, error },
        audit_anchors: {
          successes: anchors.successes,
          failures: anchors.failures,
          last_success_at: iso(anchors.lastSuccessAt),
          last_error: anchors.lastError,
          checkpoint_size: anchors.checkpointSize,
          anchored_size: anchors.anchoredSize,
          lag_events: anchors.lagEvents,
          lag_seconds: anchors.lagSeconds,
          sinks: anchors.sinks.map((sink) => ({
            sink: sink.sink,
            protection: sink.protection,
            ok: sink.ok,
            successes: sink.successes,
            failures: sink.failures,
            last_success_at: iso(sink.lastSuccessAt),
            last_error: sink.lastError,
            anchored_size: sink.anchoredSize,
          })),
        },
        scheduler: options.scheduler
          ? { status: 'running', ...options.scheduler() }
          : { status: 'not_running', workers: [], concurrency: 0, active: 0, schedules: [] },
        notifications: {
          webhooks: Object.keys(runtime.config.notifications.webhooks),
          ...counts,
          retries_here: options.deliveries?.retried ?? 0,
          last_error: options.deliveries?.lastError ?? null,
        },
      });
    },
  );
  routes.get(
    '/api/v1/me',
    {
      schema: {
        summary: 'Who the credential belongs to and what it may do (the dashboard enables its buttons from this)',
        tags: ['system'],
        response: {
          200: z.object({
            principal: z.string(),
            kind: z.enum(['api_key', 'oidc', 'certificate', 'anonymous']),
            scopes: z.object({ approve: z.boolean(), audit: z.boolean(), admin: z.boolean(), spawn_classes: z.array(z.string()) }),
          }),
        },
      },
    },
    async (request) => {
      const { principal, kind, scopes } = callerOf(request);
      return { principal, kind, scopes: { approve: scopes.approve, audit: scopes.audit, admin: scopes.admin, spawn_classes: scopes.spawn_classes } };
    },
  );
  routes.get('/.well-known/jwks.json', { config: { auth: 'public' }, schema: { summary: 'Public keys that verify capability tokens', tags: ['system'], security: [] } }, async () =>
    runtime.keys.jwks(),
  );
  routes.get('/metrics', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type(app.metrics.registry.contentType).send(await app.metrics.registry.metrics()),
  );
  routes.get('/api/v1/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
}
