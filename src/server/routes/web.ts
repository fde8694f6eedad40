import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Where `npm run build` puts the dashboard (vite, web/vite.config.ts): dist/web under the
 * package root, found from this file whether it runs compiled (dist/src/…) or as source.
 */
export function webFolder(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json')) && dirname(folder) !== folder) folder = dirname(folder);
  return join(folder, 'dist', 'web');
}

/**
 * Everything the page may load comes from this server: its own scripts and styles, data from
 * the API. No other origin, no framing, no inline script.
 */
const POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/**
 * The operator dashboard at `/`: index.html and its hashed assets, public (the page holds no
 * data; every API call it makes carries the operator's key). Without a build, `/` says how to make one.
 */
export async function registerWebRoutes(app: FastifyInstance, root = webFolder()): Promise<void> {
  const secure = (reply: FastifyReply) =>
    reply.header('content-security-policy', POLICY).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
  if (!existsSync(join(root, 'index.html'))) {
    app.get('/', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) =>
      secure(reply).status(503).type('text/plain; charset=utf-8').send(`The dashboard is not built (${root}/index.html is missing): run npm run build.\n`),
    );
    return;
  }
  await app.register(fastifyStatic, { root, serve: false });
  app.get('/', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => secure(reply).header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false }));
  app.get<{ Params: { file: string } }>('/assets/:file', { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) =>
    // File names carry a content hash: they never change, so they may be cached for good.
    secure(reply).sendFile(join('assets', request.params.file), { maxAge: 365 * 24 * 3600 * 1000, immutable: true }),
  );
}
