import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { OidcConfig } from '../../config/auth.js';
import { packageRoot } from '../../version.js';

/**
 * Where `npm run build` puts the dashboard (vite, web/vite.config.ts): dist/web under the
 * package root, found from this file whether it runs compiled (dist/src/…) or as source.
 */
export function webFolder(): string {
  return join(packageRoot(), 'dist', 'web');
}

/** What the page needs to send an operator to the OpenID provider and back (auth.oidc.dashboard). */
export interface DashboardSignIn {
  issuer: string;
  client_id: string;
  scope: string;
  resource: string | null;
  authorization_endpoint: string;
  token_endpoint: string;
}

export interface WebOptions {
  /** The built page; webFolder() unless a test gives another. */
  root?: string;
  oidc?: OidcConfig | undefined;
  /** The clock that spaces out discovery retries; Date.now unless a test gives another. */
  now?: () => number;
}

/**
 * The operator dashboard at `/`: index.html and its hashed assets, public (the page holds no
 * data; every API call it makes carries the operator's credential), and what its sign-in needs
 * at /api/v1/dashboard. Without a build, `/` says how to make one.
 */
export async function registerWebRoutes(app: FastifyInstance, options: WebOptions = {}): Promise<void> {
  const root = options.root ?? webFolder();
  const signIn = signInOf(options.oidc, options.now ?? Date.now);
  app.get('/api/v1/dashboard', { config: { auth: 'public' }, schema: { summary: 'How the dashboard signs operators in: an API key, or OIDC when auth.oidc.dashboard is set', tags: ['system'], security: [] } }, async () => {
    const { found, error } = await signIn();
    return { oidc: found, oidc_error: error };
  });
  // Everything the page loads comes from this server; it may only also talk to the OIDC token endpoint.
  // (A reply is thenable: this sets its headers and returns nothing to await.)
  const secure = async (reply: FastifyReply): Promise<void> => {
    const tokenOrigin = (await signIn()).found?.token_endpoint;
    const connect = ["'self'", ...(tokenOrigin ? [new URL(tokenOrigin).origin] : [])].join(' ');
    const policy = `default-src 'self'; connect-src ${connect}; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'`;
    void reply.header('content-security-policy', policy).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
  };
  if (!existsSync(join(root, 'index.html'))) {
    app.get('/', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => {
      await secure(reply);
      return reply.status(503).type('text/plain; charset=utf-8').send(`The dashboard is not built (${root}/index.html is missing): run npm run build.\n`);
    });
    return;
  }
  await app.register(fastifyStatic, { root, serve: false });
  app.get('/', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    await secure(reply);
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  });
  app.get<{ Params: { file: string } }>('/assets/:file', { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
    await secure(reply);
    // File names carry a content hash: they never change, so they may be cached for good.
    return reply.sendFile(join('assets', request.params.file), { maxAge: 365 * 24 * 3600 * 1000, immutable: true });
  });
}

/** How long a failed discovery answers every request before the next attempt. */
export const DISCOVERY_RETRY_MS = 30_000;

/**
 * The provider's endpoints, from its discovery document, fetched once it answers. Until then the
 * page offers API keys only, saying why: a failure is the answer for DISCOVERY_RETRY_MS, and
 * requests arriving while an attempt is under way share it, so an unreachable provider never
 * holds up each page and asset request for its timeout.
 */
function signInOf(oidc: OidcConfig | undefined, now: () => number): () => Promise<{ found: DashboardSignIn | null; error: string | null }> {
  let found: DashboardSignIn | null = null;
  let failed: { error: string; until: number } | null = null;
  let attempt: Promise<{ found: DashboardSignIn | null; error: string | null }> | null = null;
  const discover = async (dashboard: NonNullable<OidcConfig['dashboard']>, issuer: string, timeoutMs: number) => {
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok) throw new Error(`answered HTTP ${response.status}`);
      const document = (await response.json()) as { authorization_endpoint?: unknown; token_endpoint?: unknown };
      if (typeof document.authorization_endpoint !== 'string' || typeof document.token_endpoint !== 'string') throw new Error('names no authorization_endpoint or token_endpoint');
      const { client_id, scope, resource } = dashboard;
      found = { issuer, client_id, scope, resource: resource ?? null, authorization_endpoint: document.authorization_endpoint, token_endpoint: document.token_endpoint };
      return { found, error: null };
    } catch (error) {
      failed = { error: `single sign-on is unavailable: the issuer's discovery document ${url} ${error instanceof Error ? error.message : String(error)}`, until: now() + DISCOVERY_RETRY_MS };
      return { found: null, error: failed.error };
    }
  };
  return async () => {
    if (!oidc?.dashboard) return { found: null, error: null };
    if (found) return { found, error: null };
    if (failed && now() < failed.until) return { found: null, error: failed.error };
    attempt ??= discover(oidc.dashboard, oidc.issuer, oidc.timeout_ms).finally(() => {
      attempt = null;
    });
    return attempt;
  };
}
