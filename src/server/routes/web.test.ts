import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { authConfigSchema, type OidcConfig } from '../../config/auth.js';
import { DISCOVERY_RETRY_MS, registerWebRoutes, webFolder } from './web.js';

describe('the dashboard routes', () => {
  const apps: FastifyInstance[] = [];
  const folders: string[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
  });

  async function appOver(files: Record<string, string>, oidc?: OidcConfig, now?: () => number): Promise<FastifyInstance> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-web-'));
    folders.push(root);
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      fs.writeFileSync(path.join(root, name), text);
    }
    const app = Fastify();
    apps.push(app);
    await registerWebRoutes(app, { root, oidc, ...(now ? { now } : {}) });
    return app;
  }

  it('serves the page and its hashed assets with a policy that allows nothing from elsewhere', async () => {
    const app = await appOver({ 'index.html': '<!doctype html><title>AOSIQ</title>', 'assets/index-abc123.js': 'console.log(1)' });
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['cache-control']).toBe('no-cache');
    const asset = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('serves nothing outside its folder and nothing that is not there', async () => {
    const app = await appOver({ 'index.html': 'x', 'assets/a.js': 'y' });
    for (const url of ['/assets/..%2f..%2fpackage.json', '/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/assets/missing.js', '/package.json']) {
      const reply = await app.inject({ method: 'GET', url });
      expect([403, 404], url).toContain(reply.statusCode);
      expect(reply.body, url).not.toMatch(/root:/);
    }
  });

  it('tells the page how to sign in: keys only, or the endpoints of the OpenID provider, which the policy then lets it reach', async () => {
    expect((await (await appOver({ 'index.html': 'x' })).inject({ method: 'GET', url: '/api/v1/dashboard' })).json()).toEqual({ oidc: null, oidc_error: null });
    const provider = http.createServer((request, reply) => {
      if (request.url !== '/.well-known/openid-configuration') return void reply.writeHead(404).end();
      reply.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: 'http://127.0.0.1:9/token' }));
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    try {
      const oidc = (dashboard: unknown) => authConfigSchema.parse({ oidc: { issuer, audience: 'aosiq-api', dashboard } }).oidc!;
      const app = await appOver({ 'index.html': 'x' }, oidc({ client_id: 'dashboard', resource: 'https://api.aosiq.test' }));
      expect((await app.inject({ method: 'GET', url: '/api/v1/dashboard' })).json()).toEqual({
        oidc: { issuer, client_id: 'dashboard', scope: 'openid', resource: 'https://api.aosiq.test', authorization_endpoint: `${issuer}/auth`, token_endpoint: 'http://127.0.0.1:9/token' },
        oidc_error: null,
      });
      expect((await app.inject({ method: 'GET', url: '/' })).headers['content-security-policy']).toContain("connect-src 'self' http://127.0.0.1:9;");
      const broken = await appOver({ 'index.html': 'x' }, { ...oidc({ client_id: 'dashboard' }), issuer: `${issuer}/nowhere` });
      const answer = (await broken.inject({ method: 'GET', url: '/api/v1/dashboard' })).json();
      expect(answer.oidc).toBeNull();
      expect(answer.oidc_error).toContain('HTTP 404');
    } finally {
      provider.close();
    }
  });

  it('asks a provider that does not answer again only after a pause, not on every page and asset request', async () => {
    let asked = 0;
    let healthy = false;
    const provider = http.createServer((_request, reply) => {
      asked += 1;
      if (!healthy) return void reply.writeHead(503).end();
      reply.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token` }));
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    let clock = 1_000_000;
    try {
      const oidc = authConfigSchema.parse({ oidc: { issuer, audience: 'aosiq-api', dashboard: { client_id: 'dashboard' } } }).oidc!;
      const app = await appOver({ 'index.html': 'x', 'assets/app-1.js': 'js' }, oidc, () => clock);
      const answers = await Promise.all([
        app.inject({ method: 'GET', url: '/api/v1/dashboard' }),
        app.inject({ method: 'GET', url: '/' }),
        app.inject({ method: 'GET', url: '/assets/app-1.js' }),
        app.inject({ method: 'GET', url: '/api/v1/dashboard' }),
      ]);
      expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200, 200]);
      expect(answers[0].json().oidc_error).toContain('answered HTTP 503');
      expect(answers[1].headers['content-security-policy']).toContain("connect-src 'self';");
      expect(asked).toBe(1);
      healthy = true;
      clock += DISCOVERY_RETRY_MS - 1;
      expect((await app.inject({ method: 'GET', url: '/api/v1/dashboard' })).json().oidc_error).toContain('answered HTTP 503');
      expect(asked).toBe(1);
      clock += 1;
      expect((await app.inject({ method: 'GET', url: '/api/v1/dashboard' })).json()).toMatchObject({ oidc: { token_endpoint: `${issuer}/token` }, oidc_error: null });
      expect(asked).toBe(2);
      expect((await app.inject({ method: 'GET', url: '/' })).headers['content-security-policy']).toContain(`connect-src 'self' ${issuer};`);
      expect(asked).toBe(2);
    } finally {
      provider.close();
    }
  });

  it('says how to build the page when it is not built', async () => {
    const app = await appOver({});
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('npm run build');
  });

  it('finds the build folder beside package.json', () => {
    expect(webFolder()).toBe(path.resolve(import.meta.dirname, '..', '..', '..', 'dist', 'web'));
  });
});
