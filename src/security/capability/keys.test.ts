import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAosError } from '../../errors.js';
import { loadOrCreateKeyStore } from './keys.js';

const temporaryDirs: string[] = [];
function temporaryDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-keys-'));
  temporaryDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temporaryDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function clock(start = '2025-01-01T00:00:00Z') {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    advance: (seconds: number) => {
      current += seconds * 1000;
    },
  };
}

const mode = (file: string) => fs.statSync(file).mode & 0o777;
const noEnv = { env: {} };

async function expectConfigError(promise: Promise<unknown>, pattern: RegExp) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isAosError(error, 'CONFIG_INVALID'), String(error)).toBe(true);
  expect((error as Error).message).toMatch(pattern);
}

describe('loadOrCreateKeyStore (directory)', () => {
  it('creates a private directory with one private key file and reuses it on the next start', async () => {
    const dir = path.join(temporaryDir(), 'keys');
    const store = await loadOrCreateKeyStore(dir, noEnv);
    const { kid } = store.signingKey();
    expect(mode(dir)).toBe(0o700);
    const files = fs.readdirSync(dir);
    expect(files).toEqual([`${kid}.json`]);
    expect(mode(path.join(dir, `${kid}.json`))).toBe(0o600);

    const reopened = await loadOrCreateKeyStore(dir, noEnv);
    expect(reopened.signingKey().kid).toBe(kid);
  });

  it('publishes only public key parts in the JWKS', async () => {
    const dir = temporaryDir();
    const store = await loadOrCreateKeyStore(dir, noEnv);
    const { kid } = store.signingKey();
    const record = JSON.parse(fs.readFileSync(path.join(dir, `${kid}.json`), 'utf8'));
    const { keys } = store.jwks();
    expect(keys).toEqual([
      { kty: 'OKP', crv: 'Ed25519', x: record.private_jwk.x, kid, alg: 'EdDSA', use: 'sig' },
    ]);
    expect(JSON.stringify(store.jwks())).not.toContain(record.private_jwk.d);
  });

  it('rotation: the new key signs, the old one verifies until retire_after, then disappears', async () => {
    const dir = temporaryDir();
    const time = clock();
    const store = await loadOrCreateKeyStore(dir, { ...noEnv, now: time.now });
    const oldKid = store.signingKey().kid;

    const newKid = await store.rotate(600);
    expect(newKid).not.toBe(oldKid);
    expect(store.signingKey().kid).toBe(newKid);
    expect(store.verificationKey(oldKid)?.retireAfter).toEqual(new Date('2025-01-01T00:10:00Z'));
    expect(
      store
        .jwks()
        .keys.map((key) => key.kid)
        .sort(),
    ).toEqual([oldKid, newKid].sort());
    expect(mode(path.join(dir, `${oldKid}.json`))).toBe(0o600);

    time.advance(600);
    expect(store.verificationKey(oldKid)).toBeUndefined();
    expect(store.jwks().keys.map((key) => key.kid)).toEqual([newKid]);
    const reopened = await loadOrCreateKeyStore(dir, { ...noEnv, now: time.now });
    expect(fs.readdirSync(dir)).toEqual([`${newKid}.json`]);
    expect(reopened.signingKey().kid).toBe(newKid);
  });

  it('makes a new signing key when an interrupted rotation left every key retiring', async () => {
    const dir = temporaryDir();
    const time = clock();
    const store = await loadOrCreateKeyStore(dir, { ...noEnv, now: time.now });
    const oldKid = store.signingKey().kid;
    const file = path.join(dir, `${oldKid}.json`);
    const record = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...record, retire_after: '2025-01-01T01:00:00.000Z' }));

    const reopened = await loadOrCreateKeyStore(dir, { ...noEnv, now: time.now });
    expect(reopened.signingKey().kid).not.toBe(oldKid);
    expect(reopened.verificationKey(oldKid)).toBeDefined();
  });

  it('refuses a key file that others may read, naming the fix', async () => {
    const dir = temporaryDir();
    const kid = (await loadOrCreateKeyStore(dir, noEnv)).signingKey().kid;
    fs.chmodSync(path.join(dir, `${kid}.json`), 0o644);
    await expectConfigError(loadOrCreateKeyStore(dir, noEnv), /mode 0644, wider than 0600; run: chmod 600/);
  });

  it('refuses a corrupt key file without echoing its contents', async () => {
    const dir = temporaryDir();
    const kid = (await loadOrCreateKeyStore(dir, noEnv)).signingKey().kid;
    const file = path.join(dir, `${kid}.json`);
    const record = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...record, private_jwk: { ...record.private_jwk, kty: 'EC' } }));
    await expectConfigError(loadOrCreateKeyStore(dir, noEnv), /bad fields: private_jwk\.kty/);
    const error = await loadOrCreateKeyStore(dir, noEnv).catch((caught: Error) => caught);
    expect(error instanceof Error ? error.message : 'resolved').not.toContain(record.private_jwk.d);
  });
});

describe('loadOrCreateKeyStore (AOS_SIGNING_KEY_FILE)', () => {
  function writeKeyFile(content: string, fileMode = 0o600): string {
    const file = path.join(temporaryDir(), 'signing.key');
    fs.writeFileSync(file, content, { mode: fileMode });
    fs.chmodSync(file, fileMode);
    return file;
  }
  const pem = () =>
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  it('uses the single key from a PKCS#8 PEM file and leaves the key directory alone', async () => {
    const keysDir = path.join(temporaryDir(), 'keys');
    const file = writeKeyFile(pem());
    const store = await loadOrCreateKeyStore(keysDir, { env: { AOS_SIGNING_KEY_FILE: file } });
    expect(store.jwks().keys).toHaveLength(1);
    expect(store.jwks().keys[0]?.kid).toBe(store.signingKey().kid);
    expect(fs.existsSync(keysDir)).toBe(false);
  });

  it('accepts a private JWK file', async () => {
    const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    const file = writeKeyFile(JSON.stringify(jwk));
    const store = await loadOrCreateKeyStore(temporaryDir(), { env: { AOS_SIGNING_KEY_FILE: file } });
    expect(store.jwks().keys[0]?.x).toBe(jwk.x);
  });

  it('refuses to rotate a key it does not own', async () => {
    const file = writeKeyFile(pem());
    const store = await loadOrCreateKeyStore(temporaryDir(), { env: { AOS_SIGNING_KEY_FILE: file } });
    await expectConfigError(store.rotate(60), /AOS_SIGNING_KEY_FILE/);
  });

  it('says clearly when the file is missing, too open, or not a key', async () => {
    const missing = path.join(temporaryDir(), 'absent.key');
    await expectConfigError(
      loadOrCreateKeyStore(temporaryDir(), { env: { AOS_SIGNING_KEY_FILE: missing } }),
      /absent\.key is missing or unreadable/,
    );
    const open = writeKeyFile(pem(), 0o640);
    await expectConfigError(
      loadOrCreateKeyStore(temporaryDir(), { env: { AOS_SIGNING_KEY_FILE: open } }),
      /mode 0640, wider than 0600/,
    );
    const garbage = writeKeyFile('not a key');
    await expectConfigError(
      loadOrCreateKeyStore(temporaryDir(), { env: { AOS_SIGNING_KEY_FILE: garbage } }),
      /neither PEM nor JSON/,
    );
    const rsa = writeKeyFile(
      generateKeyPairSync('rsa', { modulusLength: 1024 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
    );
    await expectConfigError(
      loadOrCreateKeyStore(temporaryDir(), { env: { AOS_SIGNING_KEY_FILE: rsa } }),
      /not a PKCS#8 Ed25519 private key/,
    );
  });
});
