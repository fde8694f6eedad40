import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ErrorCode, isAosError } from '../../errors.js';
import { type KeyStore, loadOrCreateKeyStore } from './keys.js';
import { type MintClaims, TokenIssuer } from './token.js';

const temporaryDirs: string[] = [];
afterEach(() => {
  for (const dir of temporaryDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const START = new Date('2025-01-01T00:00:00Z');
const START_SECONDS = START.getTime() / 1000;

async function setup(options: { cacheSize?: number } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-token-'));
  temporaryDirs.push(dir);
  let current = START.getTime();
  const now = () => new Date(current);
  const advance = (seconds: number) => {
    current += seconds * 1000;
  };
  const keys = await loadOrCreateKeyStore(dir, { env: {}, now });
  const issuer = new TokenIssuer({ keys, issuer: 'aosiq', audience: 'aosiq-api', now, ...options });
  return { dir, keys, issuer, now, advance };
}

const claims = (overrides: Partial<MintClaims> = {}): MintClaims => ({
  sub: 'actor-1',
  sid: 'session-1',
  cls: 'triage',
  exp: START_SECONDS + 600,
  grants: [{ tool: 'fs.read', constraints: { path: [{ prefix: '/data/' }] } }],
  depth: 0,
  ...overrides,
});

async function expectAosError(promise: Promise<unknown>, code: ErrorCode, pattern: RegExp) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isAosError(error, code), String(error)).toBe(true);
  expect((error as Error).message).toMatch(pattern);
}

/** Signs arbitrary claims and header with the store's own active key, as a forger with the key could. */
async function signRaw(keys: KeyStore, payload: Record<string, unknown>, typ = 'aosiq-cap+jwt') {
  const { kid, privateKey } = keys.signingKey();
  return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', typ, kid }).sign(privateKey);
}

describe('TokenIssuer', () => {
  it('round trips: verify returns exactly the claims minted', async () => {
    const { issuer, keys } = await setup();
    const minted = await issuer.mint(claims({ pjti: 'parent-jti', depth: 1 }));
    expect(minted.claims).toMatchObject({
      iss: 'aosiq',
      aud: 'aosiq-api',
      iat: START_SECONDS,
      pjti: 'parent-jti',
    });
    expect(minted.claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(await issuer.verify(minted.token)).toEqual(minted.claims);
    const header = JSON.parse(Buffer.from(minted.token.split('.')[0] as string, 'base64url').toString());
    expect(header).toEqual({ alg: 'EdDSA', typ: 'aosiq-cap+jwt', kid: keys.signingKey().kid });
  });

  it('refuses to mint malformed or already expired claims', async () => {
    const { issuer } = await setup();
    await expectAosError(
      issuer.mint(claims({ grants: [{ tool: 'FS READ' }] })),
      'INVALID_INPUT',
      /grants\.0\.tool/,
    );
    await expectAosError(issuer.mint(claims({ exp: START_SECONDS })), 'INVALID_INPUT', /already expired/);
  });

  it('rejects a malformed string', async () => {
    const { issuer } = await setup();
    await expectAosError(issuer.verify('not-a-token'), 'INVALID_TOKEN', /malformed/);
    await expectAosError(issuer.verify(''), 'INVALID_TOKEN', /non-empty string/);
    await expectAosError(issuer.verify('a'.repeat(70_000)), 'INVALID_TOKEN', /at most/);
  });

  it('rejects a tampered payload', async () => {
    const { issuer } = await setup();
    const { token } = await issuer.mint(claims());
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const widened = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), grants: [{ tool: '*' }] };
    const forged = `${header}.${Buffer.from(JSON.stringify(widened)).toString('base64url')}.${signature}`;
    await expectAosError(issuer.verify(forged), 'INVALID_TOKEN', /signature does not verify/);
  });

  it('rejects a signature from another key, whether its kid is unknown or borrowed', async () => {
    const ours = await setup();
    const theirs = await setup();
    const foreign = new TokenIssuer({
      keys: theirs.keys,
      issuer: 'aosiq',
      audience: 'aosiq-api',
      now: ours.now,
    });
    const { token } = await foreign.mint(claims());
    await expectAosError(ours.issuer.verify(token), 'INVALID_TOKEN', /unknown key/);

    const borrowed = await new SignJWT({
      ...claims(),
      iss: 'aosiq',
      aud: 'aosiq-api',
      iat: START_SECONDS,
      jti: 'j',
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'aosiq-cap+jwt', kid: ours.keys.signingKey().kid })
      .sign(theirs.keys.signingKey().privateKey);
    await expectAosError(ours.issuer.verify(borrowed), 'INVALID_TOKEN', /signature does not verify/);
  });

  it('rejects a wrong audience, a wrong issuer and a wrong type, naming which', async () => {
    const { issuer, keys, now } = await setup();
    const otherAudience = new TokenIssuer({ keys, issuer: 'aosiq', audience: 'elsewhere', now });
    await expectAosError(
      issuer.verify((await otherAudience.mint(claims())).token),
      'INVALID_TOKEN',
      /audience "elsewhere" is not "aosiq-api"/,
    );
    const otherIssuer = new TokenIssuer({ keys, issuer: 'mallory', audience: 'aosiq-api', now });
    await expectAosError(
      issuer.verify((await otherIssuer.mint(claims())).token),
      'INVALID_TOKEN',
      /issuer "mallory" is not "aosiq"/,
    );
    const payload = { ...claims(), iss: 'aosiq', aud: 'aosiq-api', iat: START_SECONDS, jti: 'j' };
    await expectAosError(issuer.verify(await signRaw(keys, payload, 'JWT')), 'INVALID_TOKEN', /token type/);
  });

  it('rejects alg none and HS256 tokens', async () => {
    const { issuer, keys } = await setup();
    const payload = { ...claims(), iss: 'aosiq', aud: 'aosiq-api', iat: START_SECONDS, jti: 'j' };
    const unsecured = new UnsecuredJWT(payload).encode();
    await expectAosError(issuer.verify(unsecured), 'INVALID_TOKEN', /algorithm is not allowed|malformed/);
    const hs256 = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'aosiq-cap+jwt', kid: keys.signingKey().kid })
      .sign(new TextEncoder().encode('a shared secret of at least 32 bytes!!'));
    await expectAosError(issuer.verify(hs256), 'INVALID_TOKEN', /algorithm is not allowed/);
  });

  it('rejects claims of the wrong shape even when signed by our key', async () => {
    const { issuer, keys } = await setup();
    const payload = { ...claims(), iss: 'aosiq', aud: 'aosiq-api', iat: START_SECONDS, jti: 'j' };
    const token = await signRaw(keys, {
      ...payload,
      grants: [{ tool: 'fs.read', constraints: { path: [{ glob: '*' }] } }],
    });
    await expectAosError(issuer.verify(token), 'INVALID_TOKEN', /claims are malformed: grants\.0/);
    await expectAosError(
      issuer.verify(await signRaw(keys, { ...payload, depth: -1 })),
      'INVALID_TOKEN',
      /depth/,
    );
  });

  it('accepts a token within the clock tolerance and reports expiry after it', async () => {
    const { issuer, advance } = await setup();
    const { token } = await issuer.mint(claims());
    advance(603);
    expect((await issuer.verify(token)).sub).toBe('actor-1');
    advance(10);
    await expectAosError(issuer.verify(token), 'TOKEN_EXPIRED', /expired at 2025-01-01T00:10:00\.000Z/);
  });

  it('rotation: an old-key token verifies until its key retires, then is INVALID_TOKEN even from cache', async () => {
    const { issuer, keys, advance } = await setup();
    const { token } = await issuer.mint(claims({ exp: START_SECONDS + 7200 }));
    expect((await issuer.verify(token)).sub).toBe('actor-1');
    await keys.rotate(60);
    const { token: fresh } = await issuer.mint(claims({ exp: START_SECONDS + 7200 }));
    advance(30);
    expect((await issuer.verify(token)).sub).toBe('actor-1');
    advance(31);
    await expectAosError(issuer.verify(token), 'INVALID_TOKEN', /unknown key/);
    expect((await issuer.verify(fresh)).sub).toBe('actor-1');
  });

  it('serves repeat verifications from the cache, but not once the token expires', async () => {
    const { issuer, keys, advance } = await setup();
    const lookups = vi.spyOn(keys, 'verificationKey');
    const { token } = await issuer.mint(claims());
    await issuer.verify(token);
    await issuer.verify(token);
    expect(lookups).toHaveBeenCalledTimes(1);

    advance(700);
    await expectAosError(issuer.verify(token), 'TOKEN_EXPIRED', /expired/);
    expect(lookups).toHaveBeenCalledTimes(2);
  });

  it('hands out copies, so a caller cannot widen the cached claims', async () => {
    const { issuer } = await setup();
    const { token } = await issuer.mint(claims());
    const first = await issuer.verify(token);
    first.grants.push({ tool: '*' });
    expect((await issuer.verify(token)).grants).toEqual(claims().grants);
  });

  it('keeps the cache bounded, evicting the oldest entry', async () => {
    const { issuer, keys } = await setup({ cacheSize: 2 });
    const lookups = vi.spyOn(keys, 'verificationKey');
    const tokens = await Promise.all(
      ['a', 'b', 'c'].map(async (sub) => (await issuer.mint(claims({ sub }))).token),
    );
    for (const token of tokens) await issuer.verify(token);
    expect(lookups).toHaveBeenCalledTimes(3);
    await issuer.verify(tokens[2] as string);
    expect(lookups).toHaveBeenCalledTimes(3);
    await issuer.verify(tokens[0] as string);
    expect(lookups).toHaveBeenCalledTimes(4);
  });

  it('refuses a clock tolerance outside 0 to 5 seconds', async () => {
    const { keys } = await setup();
    expect(() => new TokenIssuer({ keys, issuer: 'a', audience: 'b', clockToleranceSeconds: 30 })).toThrow(
      /between 0 and 5/,
    );
  });
});
