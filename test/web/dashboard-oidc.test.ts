/**
 * Signing in to the dashboard at an OpenID provider: a real provider (oidc-provider, with its
 * development login and consent pages) on loopback, the authorization code flow with PKCE run
 * by the page in Debian's Chromium, and the access token it gets used against the API.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server/support.js';
import { ARTIFACTS, chromiumInstalled, launchBrowser } from './browser.js';

const API = 'https://api.aosiq.test';
/** Who may do what: the provider puts these groups in each person's access token. */
const GROUPS: Record<string, string[]> = { alice: ['auditors'], mallory: ['visitors'] };
// oidc-provider ships no type declarations; a non-literal specifier keeps tsc from looking for them.
const OIDC_PROVIDER = 'oidc-provider';

interface OidcProvider {
  callback(): http.RequestListener;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;

describe.skipIf(!chromiumInstalled)('dashboard sign-in at an OpenID provider', () => {
  let t: TestServer;
  let browser: Browser;
  let issuerServer: http.Server;
  /** Requests the page made to the provider's token endpoint (the only other origin it may reach). */
  const tokenRequests: string[] = [];

  beforeAll(async () => {
    issuerServer = http.createServer();
    await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
    const rules = `
    rules:
      - { claim: groups, equals: auditors, scopes: { audit: true, approve: true } }
    dashboard: { client_id: dashboard, scope: openid, resource: "${API}" }`;
    t = await startTestServer('enforced', {
      config: (yaml) => `${yaml.replace(/^auth: \{\}$/m, '')}\nauth:\n  oidc:\n    issuer: "${issuer}"\n    audience: aosiq-api\n    algorithms: [ES256]${rules}\n`,
    });
    // The provider learns the dashboard's address (its redirect URI) only now that the API listens.
    const { default: Provider } = (await import(OIDC_PROVIDER)) as { default: ProviderClass };
    const key = { ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)), kid: 'provider-es', use: 'sig' };
    const provider = new Provider(issuer, {
      clients: [{ client_id: 'dashboard', token_endpoint_auth_method: 'none', id_token_signed_response_alg: 'ES256', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [`${t.server.url}/`] }],
      jwks: { keys: [key] },
      cookies: { keys: ['oidc-dashboard-test'] },
      findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
      features: {
        devInteractions: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => API,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({ scope: 'api', audience: 'aosiq-api', accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
        },
      },
      extraTokenClaims: (_ctx: unknown, token: { accountId?: string }) => ({ groups: GROUPS[token.accountId ?? ''] ?? [] }),
    });
    issuerServer.on('request', provider.callback());
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    issuerServer?.closeAllConnections();
    issuerServer?.close();
  });

  async function signInAs(login: string) {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.on('request', (request) => {
      if (request.url().endsWith('/token')) tokenRequests.push(request.url());
    });
    await page.goto(t.server.url);
    await page.getByRole('button', { name: 'Sign in with single sign-on' }).click();
    // The provider's own (development) pages: any login, then consent.
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]').click();
    await page.getByRole('navigation').waitFor({ timeout: 15_000 });
    return page;
  }

  it('signs an operator in through the provider, with the scopes its groups grant, and no code left in the address bar', async () => {
    const page = await signInAs('alice');
    await page.getByText('oidc:alice').first().waitFor();
    expect(page.url()).not.toContain('code=');
    expect(page.url()).toMatch(/#\/approvals$/);
    // (Runs in the page; the test's own types know no DOM.)
    const stored = await page.evaluate<{ session: string | null; local: string[] }>('({ session: sessionStorage.getItem("aosiq.apiKey"), local: Object.keys(localStorage) })');
    expect(stored.local).toEqual([]);
    // What the page keeps is the provider's JWT for this API, which the API accepts as alice.
    const me = await t.request('GET', '/api/v1/me', { key: stored.session! });
    expect(me.body).toMatchObject({ principal: 'oidc:alice', kind: 'oidc', scopes: { approve: true, audit: true, admin: false } });
    await page.screenshot({ path: path.join(ARTIFACTS, 'oidc-signed-in.png'), fullPage: true });
    await page.close();
    expect(tokenRequests.length).toBeGreaterThan(0);
  });

  it('gives a person whose groups match no rule nothing: the audit log refuses them', async () => {
    const page = await signInAs('mallory');
    await page.getByText('oidc:mallory').first().waitFor();
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('SCOPE_DENIED').first().waitFor();
    await page.close();
  });
});
