import type { DashboardSignIn } from './api/types';

/**
 * Single sign-on at the OpenID provider: the authorization code flow with PKCE (RFC 7636),
 * entirely in the page, for a public client. What must survive the round trip (the verifier,
 * the state) waits in sessionStorage; the code leaves the address bar as soon as it is back.
 */
const PENDING = 'aosiq.oidcPending';

interface Pending {
  state: string;
  verifier: string;
  redirectUri: string;
  clientId: string;
  tokenEndpoint: string;
  resource: string | null;
}

/**
 * Sends the browser to the provider's sign-in page.
 *
 * @example
 * await startSignIn(config.oidc); // the page unloads
 */
export async function startSignIn(signIn: DashboardSignIn): Promise<void> {
  const verifier = randomText(32);
  const challenge = base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const pending: Pending = { state: randomText(16), verifier, redirectUri: `${location.origin}/`, clientId: signIn.client_id, tokenEndpoint: signIn.token_endpoint, resource: signIn.resource };
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const url = new URL(signIn.authorization_endpoint);
  const parameters: Record<string, string> = {
    response_type: 'code',
    client_id: signIn.client_id,
    redirect_uri: pending.redirectUri,
    scope: signIn.scope,
    state: pending.state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  if (signIn.resource !== null) parameters.resource = signIn.resource;
  for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
  location.assign(url.toString());
}

/**
 * On the way back from the provider (`/?code=…&state=…`): the access token the code is traded
 * for, or null when this page load is not such a return. Throws with the provider's reason.
 *
 * @example
 * const token = await finishSignIn(); // then checked against GET /api/v1/me
 */
export async function finishSignIn(): Promise<string | null> {
  const answer = new URLSearchParams(location.search);
  if (!answer.has('code') && !answer.has('error')) return null;
  history.replaceState(null, '', `${location.pathname}#/approvals`);
  const stored = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  const error = answer.get('error');
  if (error !== null) throw new Error(`the provider did not sign you in: ${error}${answer.get('error_description') ? ` (${answer.get('error_description')})` : ''}`);
  const pending = stored === null ? null : (JSON.parse(stored) as Pending);
  if (pending === null || pending.state !== answer.get('state')) throw new Error('this sign-in answer does not match a sign-in started in this tab (state mismatch): sign in again');
  const body = new URLSearchParams({ grant_type: 'authorization_code', code: answer.get('code') ?? '', redirect_uri: pending.redirectUri, client_id: pending.clientId, code_verifier: pending.verifier });
  if (pending.resource !== null) body.set('resource', pending.resource);
  const response = await fetch(pending.tokenEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  const token = (await response.json().catch(() => ({}))) as { access_token?: unknown; error?: unknown; error_description?: unknown };
  if (!response.ok || typeof token.access_token !== 'string') {
    throw new Error(`the provider's token endpoint refused the code: ${typeof token.error === 'string' ? token.error : `HTTP ${response.status}`}${typeof token.error_description === 'string' ? ` (${token.error_description})` : ''}`);
  }
  return token.access_token;
}

function randomText(bytes: number): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}
