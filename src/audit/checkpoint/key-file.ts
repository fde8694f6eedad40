import fs from 'node:fs';
import path from 'node:path';
import { AosError, isAosError } from '../../errors.js';
import {
  formatVerifierKey,
  generateNoteKey,
  isValidKeyName,
  type NoteSigner,
  type NoteVerifier,
  parseSignerKey,
  parseVerifierKey,
} from './keys.js';

/** The checkpoint signing key, loaded from disk. */
export type CheckpointKey = {
  signer: NoteSigner;
  verifier: NoteVerifier;
  /** The public verifier key text, as written to checkpoint.vkey, for outside verifiers. */
  verifierKey: string;
};

export const CHECKPOINT_KEY_FILE = 'checkpoint.key';
export const CHECKPOINT_VERIFIER_KEY_FILE = 'checkpoint.vkey';

/**
 * Opens the checkpoint signing key in `dir`, creating the directory (mode 0700), the signer key
 * `checkpoint.key` (0600) and its public `checkpoint.vkey` (0644) when there is none. An
 * existing key must be named `name` and be readable by its owner only. This key signs audit
 * checkpoints only; capability tokens have their own keys.
 *
 * @example
 * const { signer, verifierKey } = loadOrCreateCheckpointKey(path.join(dataDir, 'keys'), 'aosiq.example/audit');
 */
export function loadOrCreateCheckpointKey(dir: string, name: string): CheckpointKey {
  if (!isValidKeyName(name)) {
    throw new AosError(
      'CONFIG_INVALID',
      `checkpoint key name ${JSON.stringify(name)} is invalid: it must be non-empty, without spaces or '+'; use a schema-less URL such as example.com/audit`,
      { name },
    );
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A directory others can list or write is tightened rather than trusted as it is.
  if ((fs.statSync(dir).mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
  const keyFile = path.join(dir, CHECKPOINT_KEY_FILE);
  if (!fs.existsSync(keyFile)) createKeyFile(keyFile, generateNoteKey(name).signerKey);

  const signer = readSignerKey(keyFile);
  if (signer.name !== name) {
    throw new AosError(
      'CONFIG_INVALID',
      `checkpoint key file ${keyFile} holds a key named "${signer.name}", not "${name}"; set the checkpoint origin to "${signer.name}" or move the file away to make a new key`,
      { file: keyFile, name: signer.name, expected: name },
    );
  }
  const verifierKey = formatVerifierKey(signer.name, signer.publicKey);
  writeVerifierKey(path.join(dir, CHECKPOINT_VERIFIER_KEY_FILE), verifierKey);
  return { signer, verifier: parseVerifierKey(verifierKey), verifierKey };
}

/** Creates the key file once: if another process won the race, its key is kept. */
function createKeyFile(file: string, signerKey: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  // Exclusive create: a stale temporary file with a wider mode must not receive the secret.
  fs.rmSync(temporary, { force: true });
  fs.writeFileSync(temporary, `${signerKey}\n`, { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

function readSignerKey(file: string): NoteSigner {
  const mode = fs.statSync(file).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    const octal = `0${mode.toString(8)}`;
    throw new AosError(
      'CONFIG_INVALID',
      `checkpoint key file ${file} has mode ${octal}, wider than 0600; run: chmod 600 ${file}`,
      { file, mode: octal },
    );
  }
  const text = fs.readFileSync(file, 'utf8');
  try {
    return parseSignerKey(text.endsWith('\n') ? text.slice(0, -1) : text);
  } catch (error) {
    if (!isAosError(error)) throw error;
    throw new AosError(
      'CONFIG_INVALID',
      `checkpoint key file ${file} is unusable: ${error.message}; restore it from backup`,
      { file },
      { cause: error },
    );
  }
}

/** Rewrites the public key file when missing or stale, since verifiers copy it from here. */
function writeVerifierKey(file: string, verifierKey: string): void {
  const content = `${verifierKey}\n`;
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === content) return;
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, content, { mode: 0o644 });
  // The umask may have narrowed the mode; the public key is meant to be readable by all.
  fs.chmodSync(temporary, 0o644);
  fs.renameSync(temporary, file);
}
