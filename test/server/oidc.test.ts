/**
 * OIDC callers end to end: a real OpenID provider (oidc-provider) on a loopback port issues
 * client-credentials JWT access tokens over HTTP; the API verifies them against the provider's
 * discovered JWKS, maps their claims to scopes, records the caller as `oidc:<sub>`, and refuses
 * every bad token with its own code and exactly one AUTH_REJECTED row.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authConfigSchema } from '../../src/config/auth.js';
import { oidcVerifier } from '../../src/server/auth/index.js';
import { startTestServer, type TestServer } from './support.js';

const ALL_EVENTS = 'SELECT count(*)::int AS n FROM audit_events';
const ACTORS = 'SELECT count(*)::int AS n FROM actors';

/** Resource indicators the provider knows; each becomes one kind of access token. */
const API = 'https://api.aosiq.test';
const RESOURCES: Record<string, { audience: string; alg: string; ttl?: number }> = {
  [API]: { audience: 'aosiq-api', alg: 'ES256' },
  'https://other.example.test': { audience: 'other-api', alg: 'ES256' },
  'https://api.aosiq.test/short-lived': { audience: 'aosiq-api', alg: 'ES256', ttl: 2 },
  'https://api.aosiq.test/rsa': { audience: 'aosiq-api', alg: 'RS256' },
};
/** Machine clients and the groups claim the provider puts in their tokens. */
const GROUPS: Record<string, string[]> = { auditor: ['auditors'], builder: ['builders', 'staff'], stranger: ['visitors'] };

const RULES = `
    rules:
      - { claim: groups, equals: auditors, scopes: { audit: true, approve: true } }
      - claim: groups
        equals: builders
        scopes:
          spawn_classes: [reviewer, janitor]
          grants: [{ tool: fs.list }, { tool: fs.delete, constraints: { path: [{ prefix: "tmp/" }] } }]`;

/** The example config with an auth.oidc section (replacing its empty `auth: {}`, if it has one). */
const oidcConfig = (issuer: string) => (yaml: string) =>
  `${yaml.replace(/^auth: \{\}$/m, '')}\nauth:\n  oidc:\n    issuer: "${issuer}"\n    audience: aosiq-api\n    algorithms: [ES256]\n    clock_tolerance_seconds: 0\n    timeout_ms: 2000${RULES}\n`;

const OIDC_PROVIDER = 'oidc-provider';
interface OidcProvider {
  callback(): http.RequestListener;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A real OpenID provider with client credentials and JWT access tokens per resource indicator. */
async function startProvider() {
  // oidc-provider ships no type declarations (a non-literal specifier keeps tsc from looking for
  // them); the test needs only its constructor and callback.
  const { default: Provider } = (await import(OIDC_PROVIDER)) as { default: ProviderClass };
  const jwk = async (alg: string, kid: string): Promise<JWK> => ({ ...(await exportJWK((await generateKeyPair(alg, { extractable: true })).privateKey)), kid, use: 'sig' });
  const keys = [await jwk('ES256', 'provider-es'), await jwk('RS256', 'provider-rs')];
  const server = http.createServer();
  const issuer = `http://127.0.0.1:${await listen(server)}`;
  const provider = new Provider(issuer, {
    clients: Object.keys(GROUPS).map((id) => ({ client_id: id, client_secret: `${id}-secret`, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] })),
    jwks: { keys },
    cookies: { keys: ['oidc-test-cookie-key'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          const resource = RESOURCES[indicator];
          if (!resource) throw new Error(`unknown resource ${indicator}`);
          return { scope: 'api', audience: resource.audience, accessTokenTTL: resource.ttl ?? 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: resource.alg } } };
        },
      },
    },
    ttl: { ClientCredentials: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) => token.resourceServer?.accessTokenTTL ?? 600 },
    extraTokenClaims: (_ctx: unknown, token: { clientId: string }) => ({ groups: GROUPS[token.clientId], org: { login: `${token.clientId}@example.test` } }),
  });
  server.on('request', provider.callback());
  return {
    issuer,
    /** An access token for `client` at `resource`, fetched as a machine client would. */
    async token(client: string, resource = API): Promise<string> {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${client}:${client}-secret`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: 'api' }),
      });
      const body = (await response.json()) as { access_token?: string };
      expect(response.status, JSON.stringify(body)).toBe(200);
      return body.access_token!;
    },
    async close(): Promise<void> {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** A token the provider never issued: right issuer and claims, signed by a key it does not hold. */
async function forged(issuer: string, kid = 'provider-es'): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT({ groups: ['auditors'] })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience('aosiq-api')
    .setSubject('auditor')
    .setJti('forged-jti')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
}

/** The request is refused with 401 and `code`, and only one AUTH_REJECTED row (system chain) is written. */
async function expectRejected(t: TestServer, token: string, code: string): Promise<void> {
  const before = { events: await t.count(ALL_EVENTS), actors: await t.count(ACTORS) };
  const response = await t.request('POST', '/api/v1/agents', { key: token, body: { class: 'reviewer', grants: [{ tool: 'fs.list' }] } });
  expect(response.status, code).toBe(401);
  expect(response.body).toMatchObject({ code, status: 401 });
  expect(await t.count(ALL_EVENTS), code).toBe(before.events + 1);
  expect(await t.count(ACTORS)).toBe(before.actors);
  const { rows } = await t.runtime.db.query<{ type: string; session_id: string; principal: string | null; payload: { code: string; operation: string } }>(
    'SELECT type, session_id, principal, payload FROM audit_events ORDER BY id DESC LIMIT 1',
  );
  expect(rows[0]).toMatchObject({ type: 'AUTH_REJECTED', session_id: 'system', principal: null, payload: { code, operation: 'POST /api/v1/agents' } });
}

async function latest(t: TestServer, type: string): Promise<{ principal: string; payload: Record<string, unknown> }> {
  const { rows } = await t.runtime.db.query<{ principal: string; payload: Record<string, unknown> }>(
    'SELECT principal, payload FROM audit_events WHERE type = $1 ORDER BY id DESC LIMIT 1',
    [type],
  );
  return rows[0]!;
}

describe('OIDC callers, against a real OpenID provider', () => {
  let op: Awaited<ReturnType<typeof startProvider>>;
  let t: TestServer;

  beforeAll(async () => {
    op = await startProvider();
    t = await startTestServer('enforced', { config: oidcConfig(op.issuer) });
  });
  afterAll(async () => {
    await t?.stop();
    await op?.close();
  });

  it('lets a token whose groups map to audit and approve read the audit log, but not spawn', async () => {
    const token = await op.token('auditor');
    expect(decodeJwt(token)).toMatchObject({ iss: op.issuer, aud: 'aosiq-api', sub: 'auditor', groups: ['auditors'] });

    const read = await t.request('GET', '/api/v1/audit/events', { key: token });
    expect(read.status).toBe(200);
    expect(Array.isArray(read.body.events)).toBe(true);
    expect((await t.request('GET', '/api/v1/approvals', { key: token })).status).toBe(200);

    const spawn = await t.request('POST', '/api/v1/agents', { key: token, body: { class: 'reviewer', grants: [{ tool: 'fs.list' }] } });
    expect(spawn.status).toBe(403);
    expect(spawn.body).toMatchObject({ code: 'SCOPE_DENIED', detail: expect.stringMatching(/^oidc:auditor may not spawn class "reviewer"/) });
    expect(await latest(t, 'CAPABILITY_DENIED')).toMatchObject({ principal: 'oidc:auditor', payload: { operation: 'spawn', class: 'reviewer', code: 'SCOPE_DENIED' } });
    expect(await t.count(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'AUTH_REJECTED'`)).toBe(0);
  });

  it("spawns the classes a token's rule names, clamped to the rule's grants, as oidc:<sub>", async () => {
    const token = await op.token('builder');
    const refused = await t.request('POST', '/api/v1/agents', { key: token, body: { class: 'deployer', grants: [{ tool: 'command.announce' }] } });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('SCOPE_DENIED');

    const spawned = await t.request('POST', '/api/v1/agents', { key: token, body: { class: 'reviewer', grants: [{ tool: 'fs.read' }, { tool: 'fs.list' }] } });
    expect(spawned.status).toBe(201);
    // The class allows fs.read, the operator holds "*", but the builders rule grants only fs.list.
    expect(spawned.body.grants).toEqual([{ tool: 'fs.list' }]);
    expect(spawned.body.dropped).toEqual([{ grant: { tool: 'fs.read' }, reason: expect.any(String) }]);
    expect(await latest(t, 'ACTOR_SPAWNED')).toMatchObject({ principal: 'oidc:builder', payload: { class: 'reviewer' } });
    const actor = await t.request('GET', `/api/v1/agents/${spawned.body.actor_id}`, { key: token });
    expect(actor.body).toMatchObject({ principal: 'oidc:builder', grants: [{ tool: 'fs.list' }] });
  });

  it('records an OIDC approver and its token jti with the decision, and the approved call runs once', async () => {
    fs.writeFileSync(path.join(t.dir, 'workspace', 'tmp', 'old.log'), 'stale\n');
    const builder = await op.token('builder');
    const approver = await op.token('auditor');
    const actor = await t.request('POST', '/api/v1/agents', {
      key: builder,
      body: { class: 'janitor', grants: [{ tool: 'fs.delete', constraints: { path: [{ prefix: 'tmp/' }] } }] },
    });
    expect(actor.status).toBe(201);
    const call = () => t.request('POST', '/api/v1/calls', { key: actor.body.token, body: { tool: 'fs.delete', args: { path: 'tmp/old.log' } } });
    const pending = await call();
    expect(pending.status).toBe(202);
    const id = pending.body.approval_id as string;

    const notAllowed = await t.request('POST', `/api/v1/approvals/${id}/approve`, { key: builder, body: {} });
    expect(notAllowed.status).toBe(403);
    expect(notAllowed.body.code).toBe('SCOPE_DENIED');

    const approved = await t.request('POST', `/api/v1/approvals/${id}/approve`, { key: approver, body: { reason: 'stale log' } });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', decided_by: 'oidc:auditor', decision_reason: 'stale log' });
    const jti = decodeJwt(approver).jti;
    expect(jti).toEqual(expect.any(String));
    const { rows } = await t.runtime.db.query('SELECT approver, credential, decision FROM approval_votes WHERE approval_id = $1', [id]);
    expect(rows).toEqual([{ approver: 'oidc:auditor', credential: jti, decision: 'approve' }]);
    expect(await latest(t, 'HUMAN_APPROVAL_GRANTED')).toMatchObject({ principal: 'oidc:auditor', payload: { approval_id: id, approvers: ['oidc:auditor'] } });
    const shown = await t.request('GET', `/api/v1/approvals/${id}`, { key: approver });
    expect(shown.body.votes).toEqual([expect.objectContaining({ approver: 'oidc:auditor', credential: jti, decision: 'approve' })]);

    const ran = await call();
    expect(ran.status).toBe(200);
    expect(fs.existsSync(path.join(t.dir, 'workspace', 'tmp', 'old.log'))).toBe(false);
  });

  it('authenticates a token that matches no rule, and refuses it every scoped route', async () => {
    const token = await op.token('stranger');
    expect((await t.request('GET', '/api/v1/agents', { key: token })).status).toBe(200);
    const rejectedBefore = await t.count(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'AUTH_REJECTED'`);
    const scoped: [string, string, unknown?][] = [
      ['GET', '/api/v1/audit/events'],
      ['GET', '/api/v1/approvals'],
      ['POST', '/api/v1/approvals/apr_none/approve', {}],
      ['POST', '/api/v1/agents/act_none/kill', { reason: 'x' }],
      ['POST', '/api/v1/agents', { class: 'reviewer', grants: [{ tool: 'fs.list' }] }],
    ];
    for (const [method, url, body] of scoped) {
      const response = await t.request(method, url, { key: token, body });
      expect(response.status, url).toBe(403);
      expect(response.body.code, url).toBe('SCOPE_DENIED');
      expect(response.body.detail, url).toMatch(/^oidc:stranger /);
    }
    expect(await latest(t, 'CAPABILITY_DENIED')).toMatchObject({ principal: 'oidc:stranger' });
    expect(await t.count(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'AUTH_REJECTED'`)).toBe(rejectedBefore);
  });

  it('refuses a token for another audience, a forged one, one signed with a disallowed algorithm, and a malformed one', async () => {
    await expectRejected(t, await op.token('builder', 'https://other.example.test'), 'AUTH_WRONG_AUDIENCE');
    // Same issuer, same claims, even the provider's key id: only the signature gives it away.
    await expectRejected(t, await forged(op.issuer), 'AUTH_INVALID');
    await expectRejected(t, await forged(op.issuer, 'no-such-key'), 'AUTH_INVALID');
    // A genuine token from the provider, but RS256 is not in auth.oidc.algorithms ([ES256]).
    const rsa = await op.token('builder', 'https://api.aosiq.test/rsa');
    expect([decodeProtectedHeader(rsa).alg, decodeJwt(rsa).aud]).toEqual(['RS256', 'aosiq-api']);
    await expectRejected(t, rsa, 'AUTH_INVALID');
    expect((await latest(t, 'AUTH_REJECTED')).payload.reason).toMatch(/algorithm/);
    const [, payload] = (await op.token('builder')).split('.');
    await expectRejected(t, `e30x!.${payload}.c2ln`, 'AUTH_MALFORMED');
  });

  it('refuses an expired token with AUTH_EXPIRED (clock_tolerance_seconds: 0)', async () => {
    const token = await op.token('builder', 'https://api.aosiq.test/short-lived');
    const { exp } = decodeJwt(token);
    expect((await t.request('GET', '/api/v1/agents', { key: token })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, exp! * 1000 - Date.now() + 20));
    await expectRejected(t, token, 'AUTH_EXPIRED');
  });

  it('names the caller by a nested principal_claim', async () => {
    const config = authConfigSchema.parse({ oidc: { issuer: op.issuer, audience: 'aosiq-api', principal_claim: 'org.login' } }).oidc!;
    const token = await op.token('auditor');
    expect(await oidcVerifier(config).verify(token)).toMatchObject({ kind: 'oidc', principal: 'oidc:auditor@example.test', scopes: { audit: false, approve: false } });
    const absent = oidcVerifier({ ...config, principal_claim: 'org.name' }).verify(token);
    await expect(absent).rejects.toMatchObject({ code: 'AUTH_INVALID', message: expect.stringMatching(/"org\.name" claim/) });
  });
});

describe('OIDC callers, issuer unreachable', () => {
  let t: TestServer;
  let issuer: string;

  beforeAll(async () => {
    const closed = http.createServer();
    issuer = `http://127.0.0.1:${await listen(closed)}`;
    await new Promise((resolve) => closed.close(resolve));
    t = await startTestServer('enforced', { config: oidcConfig(issuer) });
  });
  afterAll(() => t?.stop());

  it('fails closed: a token claiming the issuer is refused 401 AUTH_INVALID, not 500', async () => {
    await expectRejected(t, await forged(issuer), 'AUTH_INVALID');
    expect((await latest(t, 'AUTH_REJECTED')).payload.reason).toMatch(/discovery document .* could not be fetched/);
    // And again: a failed discovery is not cached as success, nor does it turn into a server error.
    await expectRejected(t, await forged(issuer), 'AUTH_INVALID');
  });
});
