import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerWebRoutes, webFolder } from './web.js';

describe('the dashboard routes', () => {
  const apps: FastifyInstance[] = [];
  const folders: string[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
  });

  async function appOver(files: Record<string, string>): Promise<FastifyInstance> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-web-'));
    folders.push(root);
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      fs.writeFileSync(path.join(root, name), text);
    }
    const app = Fastify();
    apps.push(app);
    await registerWebRoutes(app, root);
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
