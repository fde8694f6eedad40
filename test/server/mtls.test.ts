/**
 * The HTTP API over HTTPS with client certificates (auth.tls, auth.mtls), over real TLS: a
 * certificate's subject maps to scopes, a bad one is refused with a problem and one
 * AUTH_REJECTED row, API keys keep working, and a broken TLS setup stops start-up.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfig, loadConfig } from '../../src/config/index.js';
import { openRuntime } from '../../src/runtime.js';
import { httpsOptions } from '../../src/server/auth/index.js';
import { serve } from '../../src/server/serve.js';
import { type CertificateFiles, createTestCertificates, type TestCertificates } from '../support/certificates.js';
import { startTestServer, type TestServer } from './support.js';

const ALL_EVENTS = 'SELECT count(*)::int AS n FROM audit_events';
const REJECTED = `SELECT count(*)::int AS n FROM audit_events WHERE type = 'AUTH_REJECTED'`;

/** The auth section for these certificates; `subjects` in YAML flow style. */
function authYaml(pki: TestCertificates, options: { certFile?: string; mtls?: boolean; tls?: boolean } = {}): string {
  const lines = ['', 'auth:'];
  if (options.tls !== false) lines.push('  tls:', `    cert_file: ${options.certFile ?? pki.server.certFile}`, `    key_file: ${pki.server.keyFile}`);
  if (options.mtls !== false) {
    lines.push(
      '  mtls:',
      `    client_ca_file: ${pki.ca.certFile}`,
      '    subjects:',
      '      - { common_name: deployer, scopes: { spawn_classes: [reviewer], grants: [{ tool: fs.list }] } }',
      '      - { common_name: auditor, scopes: { audit: true } }',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `yaml` with its top-level auth section (the example has `auth: {}`) replaced by `auth`. */
const withAuth = (yaml: string, auth: string) => yaml.replace(/^auth:.*$/m, '') + auth;

interface Reply {
  status: number;
  type: string;
  body: any;
}

/**
 * One request over HTTPS, trusting the test CA, presenting `identity` as the client certificate
 * (none when absent) and `key` as the bearer credential. A fresh connection each time.
 */
function call(
  pki: TestCertificates,
  baseUrl: string,
  method: string,
  url: string,
  options: { identity?: CertificateFiles; key?: string; authorization?: string; body?: unknown } = {},
): Promise<Reply> {
  const target = new URL(url, baseUrl);
  const headers: Record<string, string> = {};
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method,
        headers,
        agent: false,
        ca: fs.readFileSync(pki.ca.certFile),
        ...(options.identity ? { cert: fs.readFileSync(options.identity.certFile), key: fs.readFileSync(options.identity.keyFile) } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const type = res.headers['content-type'] ?? '';
          resolve({ status: res.statusCode ?? 0, type, body: type.includes('json') && text ? JSON.parse(text) : text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const fingerprintOf = (files: CertificateFiles) => new X509Certificate(fs.readFileSync(files.certFile)).fingerprint256;

describe('HTTP API over mutual TLS', () => {
  let pki: TestCertificates;
  let t: TestServer;
  let send: (method: string, url: string, options?: Parameters<typeof call>[4]) => Promise<Reply>;

  beforeAll(async () => {
    pki = createTestCertificates();
    t = await startTestServer('enforced', { config: (yaml) => withAuth(yaml, authYaml(pki)) });
    send = (method, url, options) => call(pki, t.server.url, method, url, options);
  });
  afterAll(async () => {
    await t?.stop();
    pki?.remove();
  });

  it('serves https, and a mapped certificate spawns an actor with no Authorization header', async () => {
    expect(t.server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const spawned = await send('POST', '/api/v1/agents', { identity: pki.deployer, body: { class: 'reviewer', grants: [{ tool: 'fs.list' }] } });
    expect(spawned.status).toBe(201);
    expect(spawned.body).toMatchObject({ grants: [{ tool: 'fs.list' }], depth: 0 });
    const { rows } = await t.runtime.db.query<{ principal: string }>(
      `SELECT principal FROM audit_events WHERE type = 'ACTOR_SPAWNED' AND session_id = $1`,
      [spawned.body.session_id],
    );
    expect(rows).toEqual([{ principal: 'cert:deployer' }]);
    const actor = await send('GET', `/api/v1/agents/${spawned.body.actor_id}`, { identity: pki.deployer });
    expect(actor.body).toMatchObject({ class: 'reviewer', principal: 'cert:deployer' });

    const otherClass = await send('POST', '/api/v1/agents', { identity: pki.deployer, body: { class: 'janitor', grants: [{ tool: 'fs.list' }] } });
    expect(otherClass.status).toBe(403);
    expect(otherClass.body).toMatchObject({ code: 'SCOPE_DENIED', detail: expect.stringMatching(/^cert:deployer may not spawn class "janitor"/) });
  });

  it("clamps a certificate caller's spawn to the grants its subject rule names", async () => {
    const spawned = await send('POST', '/api/v1/agents', { identity: pki.deployer, body: { class: 'reviewer', grants: [{ tool: 'fs.list' }, { tool: 'fs.read' }] } });
    expect(spawned.status).toBe(201);
    expect(spawned.body.grants).toEqual([{ tool: 'fs.list' }]);
    expect(spawned.body.dropped.map((d: { grant: { tool: string } }) => d.grant.tool)).toEqual(['fs.read']);
  });

  it('lets an audit-only subject read the audit log but not spawn', async () => {
    const events = await send('GET', '/api/v1/audit/events', { identity: pki.auditor });
    expect(events.status).toBe(200);
    expect(events.body.events.length).toBeGreaterThan(0);
    const spawn = await send('POST', '/api/v1/agents', { identity: pki.auditor, body: { class: 'reviewer', grants: [{ tool: 'fs.list' }] } });
    expect(spawn.status).toBe(403);
    expect(spawn.body).toMatchObject({ code: 'SCOPE_DENIED', detail: expect.stringMatching(/^cert:auditor may not spawn/) });
  });

  it('refuses an untrusted, expired, misused, ambiguous or absent certificate with 401 and only an AUTH_REJECTED row', async () => {
    const cases: [string, CertificateFiles | undefined, string][] = [
      ['another CA', pki.stranger, 'AUTH_INVALID'],
      ['expired', pki.expired, 'AUTH_EXPIRED'],
      // Issued by the trusted CA, but for servers (extendedKeyUsage serverAuth only).
      ['server certificate', pki.server, 'AUTH_INVALID'],
      // Trusted, but which subject is it? Neither name is picked.
      ['two common names', pki.twoNames, 'AUTH_INVALID'],
      ['no common name', pki.noName, 'AUTH_INVALID'],
      ['none', undefined, 'AUTH_MISSING'],
    ];
    for (const [name, identity, code] of cases) {
      const before = await t.count(ALL_EVENTS);
      const actorsBefore = await t.count('SELECT count(*)::int AS n FROM actors');
      const response = await send('POST', '/api/v1/agents', { ...(identity ? { identity } : {}), body: { class: 'reviewer', grants: [{ tool: 'fs.list' }] } });
      expect(response.status, name).toBe(401);
      expect(response.type, name).toMatch(/^application\/problem\+json/);
      expect(response.body, name).toMatchObject({ code, status: 401 });
      expect(await t.count(ALL_EVENTS), name).toBe(before + 1);
      expect(await t.count('SELECT count(*)::int AS n FROM actors'), name).toBe(actorsBefore);
      const { rows } = await t.runtime.db.query<{ session_id: string; principal: string | null; payload: Record<string, unknown> }>(
        `SELECT session_id, principal, payload FROM audit_events ORDER BY id DESC LIMIT 1`,
      );
      expect(rows[0], name).toMatchObject({
        session_id: 'system',
        principal: null,
        payload: { code, operation: 'POST /api/v1/agents', certificate_sha256: identity ? fingerprintOf(identity) : null },
      });
    }
    const audit = await send('GET', '/api/v1/audit/events', { identity: pki.stranger });
    expect(audit.body.code).toBe('AUTH_INVALID');
  });

  it('authenticates a trusted subject without a rule but lets it do nothing', async () => {
    const before = await t.count(REJECTED);
    const spawn = await send('POST', '/api/v1/agents', { identity: pki.nobody, body: { class: 'reviewer', grants: [{ tool: 'fs.list' }] } });
    expect(spawn.status).toBe(403);
    expect(spawn.body).toMatchObject({ code: 'SCOPE_DENIED', detail: expect.stringMatching(/^cert:nobody may not spawn class "reviewer"; it may spawn: \(no classes\)/) });
    for (const [method, url, body] of [
      ['GET', '/api/v1/audit/events', undefined],
      ['POST', '/api/v1/agents/act_none/kill', { reason: 'x' }],
      ['POST', '/api/v1/approvals/apr_none/approve', { reason: 'x' }],
    ] as const) {
      const response = await send(method, url, { identity: pki.nobody, body });
      expect(response.status, url).toBe(403);
      expect(response.body.code, url).toBe('SCOPE_DENIED');
    }
    expect(await t.count(REJECTED)).toBe(before);
  });

  it('still takes API keys over HTTPS, and an Authorization header wins over the certificate', async () => {
    const key = await t.key('ci', { spawn_classes: ['janitor'], grants: [{ tool: 'fs.list' }], audit: true });
    const spawned = await send('POST', '/api/v1/agents', { key, body: { class: 'janitor', grants: [{ tool: 'fs.list' }] } });
    expect(spawned.status).toBe(201);
    expect((await send('GET', `/api/v1/agents/${spawned.body.actor_id}`, { key })).body.principal).toBe('key:ci');

    const both = await send('POST', '/api/v1/agents', { key, identity: pki.deployer, body: { class: 'janitor', grants: [{ tool: 'fs.list' }] } });
    expect(both.status).toBe(201);
    expect((await send('GET', `/api/v1/agents/${both.body.actor_id}`, { key })).body.principal).toBe('key:ci');

    // A bad header is refused even with a good certificate: the certificate is no fallback.
    const before = await t.count(REJECTED);
    const bad = await send('GET', '/api/v1/audit/events', { identity: pki.auditor, authorization: 'Basic abc' });
    expect(bad.status).toBe(401);
    expect(bad.body.code).toBe('AUTH_MALFORMED');
    expect(await t.count(REJECTED)).toBe(before + 1);
  });
});

describe('TLS configuration errors', () => {
  let pki: TestCertificates;
  let dir: string;
  beforeAll(() => {
    pki = createTestCertificates();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-tls-config-'));
  });
  afterAll(() => {
    pki?.remove();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const writeConfig = (auth: string) => {
    const file = path.join(dir, 'aosiq.yaml');
    fs.writeFileSync(file, withAuth(exampleConfig(), auth));
    return file;
  };

  it('refuses auth.mtls without auth.tls when the config is loaded', () => {
    const file = writeConfig(authYaml(pki, { tls: false }));
    expect(() => loadConfig(file, {})).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/auth\.mtls: client certificates are only presented over HTTPS/) }));
  });

  it('stops start-up naming the field when the server certificate cannot be read', async () => {
    fs.mkdirSync(path.join(dir, 'workspace'), { recursive: true });
    const configPath = writeConfig(authYaml(pki, { certFile: path.join(pki.dir, 'missing.pem') }));
    const runtime = await openRuntime({ configPath, dataDir: path.join(dir, '.aosiq'), env: {} });
    try {
      await expect(serve(runtime, { host: '127.0.0.1', port: 0, authMode: 'enforced', logger: false, say: () => {}, env: {} })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/^auth\.tls\.cert_file: cannot read .*missing\.pem: ENOENT/),
        details: { field: 'auth.tls.cert_file' },
      });
    } finally {
      await runtime.close();
    }
  });

  it('names the key and client CA files too, and asks for no client certificate without auth.mtls', () => {
    const tls = { cert_file: pki.server.certFile, key_file: pki.server.keyFile };
    const mtls = { client_ca_file: pki.ca.certFile, subjects: [] };
    const missing = path.join(pki.dir, 'missing.pem');
    expect(() => httpsOptions({ tls: { ...tls, key_file: missing } })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', details: { field: 'auth.tls.key_file', file: missing } }));
    expect(() => httpsOptions({ tls, mtls: { ...mtls, client_ca_file: missing } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', details: { field: 'auth.mtls.client_ca_file', file: missing } }),
    );
    expect(httpsOptions({})).toBeUndefined();
    expect(httpsOptions({ tls })).toMatchObject({ requestCert: false, rejectUnauthorized: false });
    expect(httpsOptions({ tls })).not.toHaveProperty('ca');
    expect(httpsOptions({ tls, mtls })).toMatchObject({ requestCert: true, rejectUnauthorized: false, ca: fs.readFileSync(pki.ca.certFile) });
  });
});
