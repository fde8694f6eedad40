import fs from 'node:fs';
import path from 'node:path';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
} from 'jose';
import { z } from 'zod';
import { AosError } from '../../errors.js';

/** A public signing key as published in the JWKS. */
export type PublicSigningJwk = {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
};

/** The Ed25519 keys that sign and verify capability tokens. */
export interface KeyStore {
  /** Changes whenever a key is added or set to retire, so caches of verifications know to reset. */
  readonly version: number;
  /** The key new tokens are signed with. */
  signingKey(): { kid: string; privateKey: CryptoKey };
  /** The key for `kid` while it may still verify, with the moment it stops; undefined when unknown or retired. */
  verificationKey(kid: string): { publicKey: CryptoKey; retireAfter: Date | null } | undefined;
  /** Public keys that still verify, for outside verifiers. */
  jwks(): { keys: PublicSigningJwk[] };
  /** Makes a new key the signer; old keys keep verifying for `maxTokenTtlSeconds`. Returns the new kid. */
  rotate(maxTokenTtlSeconds: number): Promise<string>;
}

export interface KeyStoreOptions {
  now?: () => Date;
  /** Where AOS_SIGNING_KEY_FILE is read from; process.env by default. */
  env?: Record<string, string | undefined>;
}

const privateJwkSchema = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().min(1),
  d: z.string().min(1),
});

const keyRecordSchema = z.strictObject({
  kid: z.string().min(1),
  created_at: z.iso.datetime(),
  retire_after: z.iso.datetime().nullable(),
  private_jwk: privateJwkSchema,
});
type KeyRecord = z.infer<typeof keyRecordSchema>;

type LoadedKey = {
  record: KeyRecord;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: PublicSigningJwk;
};

const KEY_FILE_ENV = 'AOS_SIGNING_KEY_FILE';

/**
 * Opens the key store in `keysDir` (normally `<dataDir>/keys/`), creating the directory (mode
 * 0700) and a first key (file mode 0600) when there is none. When AOS_SIGNING_KEY_FILE is set,
 * that one file is the only key and the directory is not touched: the file must exist and be
 * readable by its owner only. It may hold a PKCS#8 PEM, a private Ed25519 JWK, or a key record.
 *
 * @example
 * const keys = await loadOrCreateKeyStore(path.join(dataDir, 'keys'));
 * const { kid } = keys.signingKey();
 */
export async function loadOrCreateKeyStore(
  keysDir: string,
  options: KeyStoreOptions = {},
): Promise<KeyStore> {
  const now = options.now ?? (() => new Date());
  const keyFile = (options.env ?? process.env)[KEY_FILE_ENV];
  if (keyFile) return new FileKeyStore([await loadKeyFile(keyFile)], null, now);

  fs.mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  // A directory someone else can list or write is tightened rather than trusted as it is.
  if ((fs.statSync(keysDir).mode & 0o077) !== 0) fs.chmodSync(keysDir, 0o700);
  const store = new FileKeyStore(await loadKeyDirectory(keysDir, now()), keysDir, now);
  await store.ensureSigningKey();
  return store;
}

class FileKeyStore implements KeyStore {
  version = 0;

  constructor(
    private keys: LoadedKey[],
    private readonly dir: string | null,
    private readonly now: () => Date,
  ) {}

  signingKey(): { kid: string; privateKey: CryptoKey } {
    const active = this.activeKey();
    if (!active) throw new AosError('INTERNAL', 'no active signing key; restart to create one');
    return { kid: active.record.kid, privateKey: active.privateKey };
  }

  verificationKey(kid: string): { publicKey: CryptoKey; retireAfter: Date | null } | undefined {
    const key = this.liveKeys().find((candidate) => candidate.record.kid === kid);
    if (!key) return undefined;
    const retireAfter = key.record.retire_after === null ? null : new Date(key.record.retire_after);
    return { publicKey: key.publicKey, retireAfter };
  }

  jwks(): { keys: PublicSigningJwk[] } {
    return { keys: this.liveKeys().map((key) => ({ ...key.publicJwk })) };
  }

  async rotate(maxTokenTtlSeconds: number): Promise<string> {
    if (this.dir === null) {
      throw new AosError(
        'CONFIG_INVALID',
        `cannot rotate signing keys while ${KEY_FILE_ENV} names a single key file; replace that file and restart, or unset ${KEY_FILE_ENV}`,
      );
    }
    if (!Number.isInteger(maxTokenTtlSeconds) || maxTokenTtlSeconds <= 0) {
      throw new AosError(
        'INVALID_INPUT',
        `maxTokenTtlSeconds must be a positive integer, got ${maxTokenTtlSeconds}`,
      );
    }
    const retireAfter = new Date(this.now().getTime() + maxTokenTtlSeconds * 1000).toISOString();
    // Retire first: a crash between the two steps leaves no active key, and the next start makes one.
    for (const key of this.keys) {
      if (key.record.retire_after !== null) continue;
      key.record = { ...key.record, retire_after: retireAfter };
      writeKeyRecord(this.dir, key.record);
    }
    this.version++;
    this.pruneRetired();
    return (await this.addKey()).record.kid;
  }

  /** Creates a key when none signs, e.g. on first start or after an interrupted rotation. */
  async ensureSigningKey(): Promise<void> {
    if (!this.activeKey()) await this.addKey();
  }

  private async addKey(): Promise<LoadedKey> {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwk = privateJwkSchema.parse(await exportJWK(privateKey));
    const record: KeyRecord = {
      kid: await thumbprint(jwk),
      created_at: this.now().toISOString(),
      retire_after: null,
      private_jwk: jwk,
    };
    if (this.dir !== null) writeKeyRecord(this.dir, record);
    const key = await importKey(record);
    this.keys.push(key);
    this.version++;
    return key;
  }

  private activeKey(): LoadedKey | undefined {
    const active = this.keys.filter((key) => key.record.retire_after === null);
    return active.sort((a, b) => a.record.created_at.localeCompare(b.record.created_at)).at(-1);
  }

  private liveKeys(): LoadedKey[] {
    const now = this.now().getTime();
    return this.keys.filter(
      (key) => key.record.retire_after === null || Date.parse(key.record.retire_after) > now,
    );
  }

  private pruneRetired(): void {
    const live = new Set(this.liveKeys());
    for (const key of this.keys) {
      if (!live.has(key) && this.dir !== null) fs.rmSync(keyPath(this.dir, key.record.kid), { force: true });
    }
    this.keys = [...live];
  }
}

async function loadKeyDirectory(dir: string, now: Date): Promise<LoadedKey[]> {
  const keys: LoadedKey[] = [];
  for (const name of fs.readdirSync(dir).filter((entry) => entry.endsWith('.json'))) {
    const file = path.join(dir, name);
    const record = parseKeyRecord(file, readPrivateFile(file));
    if (record.retire_after !== null && Date.parse(record.retire_after) <= now.getTime()) {
      fs.rmSync(file, { force: true });
      continue;
    }
    keys.push(await importKey(record));
  }
  return keys;
}

async function loadKeyFile(file: string): Promise<LoadedKey> {
  const text = readPrivateFile(file);
  if (text.trimStart().startsWith('-----BEGIN')) {
    const privateKey = await importPKCS8(text, 'EdDSA', { extractable: true }).catch(() => {
      throw new AosError(
        'CONFIG_INVALID',
        `${KEY_FILE_ENV} file ${file} is not a PKCS#8 Ed25519 private key`,
      );
    });
    return importKey(await recordFromJwk(file, await exportJWK(privateKey)));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AosError('CONFIG_INVALID', `${KEY_FILE_ENV} file ${file} is neither PEM nor JSON`);
  }
  if (json !== null && typeof json === 'object' && 'kty' in json)
    return importKey(await recordFromJwk(file, json));
  return importKey({ ...parseKeyRecord(file, text), retire_after: null });
}

async function recordFromJwk(file: string, jwk: unknown): Promise<KeyRecord> {
  const parsed = privateJwkSchema.safeParse(jwk);
  if (!parsed.success) {
    throw new AosError(
      'CONFIG_INVALID',
      `key file ${file} is not a private Ed25519 key (need kty OKP, crv Ed25519, x, d)`,
    );
  }
  const { kty, crv, x, d } = parsed.data;
  const privateJwk = { kty, crv, x, d };
  const stat = fs.statSync(file);
  return {
    kid: await thumbprint(privateJwk),
    created_at: stat.mtime.toISOString(),
    retire_after: null,
    private_jwk: privateJwk,
  };
}

/** Reads a file holding a private key, refusing one that group or others may read. */
function readPrivateFile(file: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw new AosError(
      'CONFIG_INVALID',
      `signing key file ${file} is missing or unreadable; check the path`,
      {},
      {
        cause: error,
      },
    );
  }
  const mode = stat.mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new AosError(
      'CONFIG_INVALID',
      `signing key file ${file} has mode 0${mode.toString(8)}, wider than 0600; run: chmod 600 ${file}`,
      { file, mode: `0${mode.toString(8)}` },
    );
  }
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new AosError(
      'CONFIG_INVALID',
      `signing key file ${file} is unreadable; check its owner`,
      {},
      { cause: error },
    );
  }
}

function parseKeyRecord(file: string, text: string): KeyRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AosError(
      'CONFIG_INVALID',
      `signing key file ${file} is not valid JSON; restore it from backup or remove it`,
    );
  }
  const parsed = keyRecordSchema.safeParse(json);
  if (!parsed.success) {
    // Issue paths only: the messages could echo key material.
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
    throw new AosError('CONFIG_INVALID', `signing key file ${file} has bad fields: ${fields}`);
  }
  return parsed.data;
}

async function importKey(record: KeyRecord): Promise<LoadedKey> {
  const { kty, crv, x, d } = record.private_jwk;
  if ((await thumbprint({ kty, crv, x })) !== record.kid) {
    throw new AosError(
      'CONFIG_INVALID',
      `signing key ${record.kid} does not match its public key; the file is corrupt`,
    );
  }
  const privateKey = await importJWK({ kty, crv, x, d }, 'EdDSA');
  const publicKey = await importJWK({ kty, crv, x }, 'EdDSA');
  if (privateKey instanceof Uint8Array || publicKey instanceof Uint8Array) {
    throw new AosError('INTERNAL', 'an Ed25519 JWK imported as a symmetric key');
  }
  const publicJwk: PublicSigningJwk = { kty, crv, x, kid: record.kid, alg: 'EdDSA', use: 'sig' };
  return { record, privateKey, publicKey, publicJwk };
}

function thumbprint(jwk: { kty: string; crv: string; x: string }): Promise<string> {
  return calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x });
}

function keyPath(dir: string, kid: string): string {
  return path.join(dir, `${kid}.json`);
}

/** Writes through a temporary file so a crash never leaves a half-written key. */
function writeKeyRecord(dir: string, record: KeyRecord): void {
  const file = keyPath(dir, record.kid);
  const temporary = `${file}.${process.pid}.tmp`;
  // Exclusive create: a stale temporary file with a wider mode must not receive the secret.
  fs.rmSync(temporary, { force: true });
  fs.writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  fs.renameSync(temporary, file);
}
