import type { FastifyInstance } from 'fastify';
import { deliverDue, type DeliveryStatus, webhookTargets } from '../notifications/index.js';
import { startRounds } from '../rounds.js';
import type { AuthConfig } from '../config/index.js';
import { AosError } from '../errors.js';
import type { Scheduler } from '../kernel/scheduler.js';
import type { Runtime } from '../runtime.js';
import { prefilterKind } from '../security/untrusted/prefilter.js';
import { packageVersion } from '../version.js';
import { buildApp } from './app.js';
import type { AuthMode } from './auth/index.js';

export interface ServeOptions {
  host: string;
  port: number;
  authMode: AuthMode;
  logger: boolean | { level: string };
  /** Lines for the operator (start-up summary, loud auth warnings). */
  say: (line: string) => void;
  /** Where webhook secrets are read; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** How often due webhook deliveries are attempted (default 1 s). */
  deliveryIntervalMs?: number;
  /** Run workers and cron triggers in this process too (default true). */
  scheduler?: boolean;
}

export interface Server {
  app: FastifyInstance;
  url: string;
  /** Stops accepting, finishes in-flight requests, seals the log; does not close the runtime. */
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * Serves the HTTP API over a runtime, with the log sealed in the background (anchoring never
 * holds up a request). Refuses to run without authentication anywhere but loopback.
 *
 * @example
 * const server = await serve(runtime, { host: '127.0.0.1', port: 7400, authMode: 'enforced', logger: true, say: console.log });
 * process.once('SIGTERM', () => void server.close().then(() => runtime.close()));
 */
export async function serve(runtime: Runtime, options: ServeOptions): Promise<Server> {
  if (options.authMode === 'disabled' && !LOOPBACK.test(options.host)) {
    throw new AosError('CONFIG_INVALID', `AOS_AUTH_MODE=disabled is only allowed on a loopback address, not ${options.host}; use enforced (the default) or warn`, {
      host: options.host,
    });
  }
  await runtime.probeAnchors();
  const targets = webhookTargets(runtime.config.notifications, options.env ?? process.env);
  const deliveries: DeliveryStatus = { delivered: 0, retried: 0, failed: 0, lastError: null };
  let scheduler: Scheduler | null = null;
  const schedulerStatus = () => ({
    workers: scheduler?.workers.map((worker) => worker.id) ?? [],
    concurrency: runtime.config.scheduler.concurrency,
    active: scheduler?.workers.reduce((sum, worker) => sum + worker.active, 0) ?? 0,
    schedules: scheduler?.schedules.map((entry) => ({ workflow: entry.workflow, next: entry.next?.toISOString() ?? null })) ?? [],
  });
  const app = await buildApp(runtime, {
    authMode: options.authMode,
    logger: options.logger,
    version: packageVersion(),
    deliveries,
    ...(options.scheduler === false ? {} : { scheduler: schedulerStatus }),
  });
  if (options.scheduler !== false) scheduler = await runtime.startScheduler({ log: (line) => app.log.info(line) });
  const intervalMs = Math.min(5000, runtime.config.audit.checkpoint_every_seconds * 1000);
  const sealer = startRounds(() => runtime.seal(), { intervalMs, onError: (error) => app.log.error({ err: error }, 'sealing the audit log failed') });
  const scheme = runtime.config.auth.tls ? 'https' : 'http';
  let baseUrl = runtime.config.notifications.base_url ?? `${scheme}://${options.host}:${options.port}`;
  const notifier = startRounds(
    async () => {
      for (const target of targets) await deliverDue(runtime.db, runtime.deps.clock, target, baseUrl, deliveries);
    },
    { intervalMs: options.deliveryIntervalMs ?? 1000, onError: (error) => app.log.error({ err: error }, 'delivering notifications failed') },
  );
  const stopRounds = () => Promise.all([sealer.stop(), notifier.stop(), scheduler?.stop()]);
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await stopRounds();
    await app.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new AosError('CONFIG_INVALID', `cannot listen on ${options.host}:${options.port}: ${code === 'EADDRINUSE' ? 'the port is in use' : (error as Error).message}`, {
      host: options.host,
      port: options.port,
    });
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `${scheme}://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  baseUrl = runtime.config.notifications.base_url ?? url;
  if (options.authMode === 'disabled') options.say('WARNING: AOS_AUTH_MODE=disabled: every request is accepted without credentials, as an all-powerful anonymous caller (loopback only).');
  if (options.authMode === 'warn') options.say('WARNING: AOS_AUTH_MODE=warn: requests without valid credentials are let through (and flagged with X-AOS-Auth-Warning).');
  options.say(`serving the API on ${url} (auth ${options.authMode}: ${authMethods(runtime.config.auth).join(', ')}); dashboard at ${url}/, docs at ${url}/api/v1/docs, health at ${url}/api/v1/health`);
  if (scheduler) {
    options.say(`scheduler: ${scheduler.workers.length} worker(s), ${runtime.config.scheduler.concurrency} actors each; workflows: ${Object.keys(runtime.config.workflows).join(', ') || 'none'}`);
    for (const entry of scheduler.schedules) options.say(`cron: ${entry.workflow} next at ${entry.next?.toISOString() ?? 'never'}`);
  }
  const prefilter = prefilterKind();
  if (!prefilter.native) options.say(`injection scanning: long tool results are prefiltered, and trigger words found, by JavaScript (slower): the native scanner is ${prefilter.reason}`);
  for (const sink of runtime.anchors.sinks) options.say(`anchors: ${sink.sink}: ${sink.ok ? sink.protection : `NOT REACHABLE (${sink.lastError})`}`);
  return {
    app,
    url,
    async close() {
      await app.close();
      await stopRounds();
      await runtime.seal().catch((error: Error) => app.log.error({ err: error }, 'final seal failed'));
    },
  };
}

/** The credentials the server accepts, for the start-up line. */
function authMethods(auth: AuthConfig): string[] {
  return [
    'API keys',
    ...(auth.oidc ? [`OIDC tokens from ${auth.oidc.issuer}`] : []),
    ...(auth.mtls ? [`client certificates (${auth.mtls.subjects.length} subject rules)`] : []),
  ];
}
