import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { AosError, isAosError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { DeliveryStatus } from '../notifications/index.js';
import { parseStrictJson } from '../security/canonical/index.js';
import { type AuthMode, authenticate, clientCertificateOf, httpsOptions, oidcVerifier } from './auth/index.js';
import { createMetrics } from './metrics.js';
import { problemFor } from './problem.js';
import { registerActorRoutes } from './routes/actors.js';
import { registerApprovalRoutes } from './routes/approvals.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerCostRoutes } from './routes/costs.js';
import { registerGatewayRoutes } from './routes/gateway.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerWorkflowRoutes } from './routes/workflows.js';
import { registerMcpRoutes } from './routes/mcp.js';
import { registerWebRoutes } from './routes/web.js';
import './types.js';

export interface AppOptions {
  authMode: AuthMode;
  /** pino options, or false for no logging (tests). */
  logger: boolean | { level: string };
  /** Largest accepted request body; the syscall's own argument limit still applies. */
  bodyLimit?: number;
  version: string;
  /** Webhook delivery counters of this process, for health. */
  deliveries?: DeliveryStatus;
  /** This process's scheduler, for health; absent when it runs none. */
  scheduler?: () => SchedulerStatus;
}

export interface SchedulerStatus {
  workers: string[];
  concurrency: number;
  active: number;
  schedules: { workflow: string; next: string | null }[];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The HTTP API over one runtime: /api/v1 routes with zod schemas, an OpenAPI document, RFC 9457
 * problems with our error codes, caller authentication on every non-public route, and metrics.
 * Request bodies are parsed by the strict JSON parser, so arguments with duplicate keys or
 * integers beyond 2^53 are refused (400) rather than hashed one way and run another.
 *
 * @example
 * const app = await buildApp(runtime, { authMode: 'enforced', logger: true, version: '0.1.0' });
 * await app.listen({ host: '127.0.0.1', port: 7400 });
 */
export async function buildApp(runtime: Runtime, options: AppOptions): Promise<FastifyInstance> {
  // With auth.tls the same app is served over HTTPS; its request and reply types are the same.
  const app = Fastify({
    https: httpsOptions(runtime.config.auth) ?? null,
    logger: options.logger,
    bodyLimit: options.bodyLimit ?? 4 * runtime.config.limits.max_args_bytes,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // A URL the router cannot decode (%ZZ) or a path parameter over its length limit: a problem too.
    frameworkErrors: (error, request, reply) => {
      const problem = problemFor(new AosError('INVALID_INPUT', error.message, { field: 'url' }), request.id);
      void (reply as FastifyReply).status(problem.status).type('application/problem+json').send(problem);
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, body === '' ? undefined : parseStrictJson(body as string, 'body'));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  const metrics = createMetrics(runtime.db, runtime.anchors);
  app.decorate('metrics', metrics);
  app.decorateRequest('caller', null);
  app.decorateRequest('capability', null);

  const { oidc, mtls } = runtime.config.auth;
  const authDeps = {
    db: runtime.db,
    clock: runtime.deps.clock,
    mode: options.authMode,
    operatorGrants: runtime.config.operator.grants,
    oidc: oidc ? oidcVerifier(oidc) : null,
    mtls: mtls ?? null,
  };
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const route = request.routeOptions.config.auth ?? 'key';
    const presented = { authorization: request.headers.authorization, certificate: clientCertificateOf(request.raw.socket) };
    const result = await authenticate(authDeps, presented, route, `${request.method} ${request.routeOptions.url ?? request.url}`);
    request.caller = result.caller;
    request.capability = result.capability;
    if (options.authMode === 'warn') {
      const warning = result.warning ?? 'authentication is in warn mode: requests without valid credentials are let through';
      // Header values must be visible ASCII.
      reply.header('x-aos-auth-warning', warning.replaceAll('…', '...').replace(/[^\x20-\x7e]/g, '?'));
      if (result.warning) request.log.warn({ auth: result.warning }, 'request let through without valid credentials (AOS_AUTH_MODE=warn)');
    }
  });
  // Postgres text cannot hold NUL: refuse it in path and query values before any query sees it.
  app.addHook('preValidation', async (request) => {
    for (const [where, values] of [['params', request.params], ['querystring', request.query]] as const) {
      for (const [name, value] of Object.entries((values ?? {}) as Record<string, unknown>)) {
        if ([value].flat().some((item) => typeof item === 'string' && item.includes('\u0000'))) {
          throw new AosError('INVALID_INPUT', `${where}.${name}: has a NUL character (\\u0000); remove it`, { field: `${where}.${name}` });
        }
      }
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.requests.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    let known: unknown = error;
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issue = error.validation[0]!;
      const where = `${error.validationContext ?? 'request'}${issue.instancePath.replaceAll('/', '.')}`;
      known = new AosError('INVALID_INPUT', `${where}: ${issue.message}`, { field: where });
    } else if (!isAosError(error) && error.statusCode === 413) {
      known = new AosError('ARGS_TOO_LARGE', `the request body is larger than ${app.initialConfig.bodyLimit} bytes`);
    } else if (!isAosError(error) && error.statusCode !== undefined && error.statusCode < 500) {
      known = new AosError('INVALID_INPUT', error.message);
    }
    const problem = problemFor(known, request.id);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    if (problem.status === 401 || problem.status === 403) metrics.denials.inc({ code: problem.code });
    void reply.status(problem.status).type('application/problem+json').send(problem);
  });
  app.setNotFoundHandler({ preHandler: undefined }, (request, reply) => {
    const problem = problemFor(new AosError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}; see /api/v1/docs`), request.id);
    void reply.status(404).type('application/problem+json').send(problem);
  });

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/v1/docs')) route.config = { ...route.config, auth: 'public' };
  });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'AOSIQ API', version: options.version, description: 'Capability-authorized actors, tool calls, approvals and the audit log.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key (aos_…) or, where noted, an actor capability token' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/v1/docs', uiConfig: { docExpansion: 'list' } });

  registerSystemRoutes(app, runtime, options);
  registerActorRoutes(app, runtime, metrics);
  registerApprovalRoutes(app, runtime);
  registerAuditRoutes(app, runtime);
  registerCostRoutes(app, runtime);
  registerGatewayRoutes(app, runtime);
  registerWorkflowRoutes(app, runtime);
  registerMcpRoutes(app, runtime);
  await registerWebRoutes(app, { oidc: runtime.config.auth.oidc });
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ReturnType<typeof createMetrics>;
  }
}
