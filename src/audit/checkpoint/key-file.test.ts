import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAosError } from '../../errors.js';
import { CHECKPOINT_KEY_FILE, CHECKPOINT_VERIFIER_KEY_FILE, loadOrCreateCheckpointKey } from './key-file.js';
import { parseVerifierKey } from './keys.js';
import { openNote, signNote } from './note.js';

const temporaryDirs: string[] = [];
function temporaryDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-checkpoint-key-'));
  temporaryDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temporaryDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const mode = (file: string) => fs.statSync(file).mode & 0o777;
const name = 'aosiq.example/audit';

function expectConfigError(action: () => unknown, pattern: RegExp): Error {
  let error: unknown;
  try {
    action();
  } catch (caught) {
    error = caught;
  }
  expect(isAosError(error, 'CONFIG_INVALID'), String(error)).toBe(true);
  expect((error as Error).message).toMatch(pattern);
  return error as Error;
}

describe('loadOrCreateCheckpointKey', () => {
  it('creates a private key, a public key file beside it, and reuses them on the next start', () => {
    const dir = path.join(temporaryDir(), 'keys');
    const created = loadOrCreateCheckpointKey(dir, name);
    const keyFile = path.join(dir, CHECKPOINT_KEY_FILE);
    const verifierFile = path.join(dir, CHECKPOINT_VERIFIER_KEY_FILE);
    expect(mode(dir)).toBe(0o700);
    expect(mode(keyFile)).toBe(0o600);
    expect(mode(verifierFile)).toBe(0o644);
    expect(fs.readdirSync(dir).sort()).toEqual([CHECKPOINT_KEY_FILE, CHECKPOINT_VERIFIER_KEY_FILE]);
    expect(fs.readFileSync(keyFile, 'utf8')).toMatch(/^PRIVATE\+KEY\+aosiq\.example\/audit\+[0-9a-f]{8}\+\S+\n$/);
    expect(fs.readFileSync(verifierFile, 'utf8')).toBe(`${created.verifierKey}\n`);

    const reopened = loadOrCreateCheckpointKey(dir, name);
    expect(reopened.verifierKey).toBe(created.verifierKey);
    // An outside verifier needs only the published .vkey file.
    const published = parseVerifierKey(fs.readFileSync(verifierFile, 'utf8').trim());
    const note = signNote('tree head\n', [reopened.signer]);
    expect(openNote(note, [published]).verifiedBy).toEqual([name]);
    expect(openNote(note, [created.verifier]).verifiedBy).toEqual([name]);
  });

  it('tightens a key directory others can read', () => {
    const dir = temporaryDir();
    fs.chmodSync(dir, 0o755);
    loadOrCreateCheckpointKey(dir, name);
    expect(mode(dir)).toBe(0o700);
  });

  it.each([0o644, 0o640, 0o604])('refuses a key file with a mode wider than 0600 (%o)', (wide) => {
    const dir = temporaryDir();
    loadOrCreateCheckpointKey(dir, name);
    const keyFile = path.join(dir, CHECKPOINT_KEY_FILE);
    fs.chmodSync(keyFile, wide);
    expectConfigError(
      () => loadOrCreateCheckpointKey(dir, name),
      new RegExp(`mode 0${wide.toString(8)}, wider than 0600; run: chmod 600 ${keyFile}`),
    );
  });

  it('refuses a key made for another name', () => {
    const dir = temporaryDir();
    loadOrCreateCheckpointKey(dir, name);
    expectConfigError(
      () => loadOrCreateCheckpointKey(dir, 'other.example/log'),
      /holds a key named "aosiq.example\/audit", not "other.example\/log"/,
    );
  });

  it('refuses a corrupt key file without quoting it', () => {
    const dir = temporaryDir();
    loadOrCreateCheckpointKey(dir, name);
    const keyFile = path.join(dir, CHECKPOINT_KEY_FILE);
    const text = fs.readFileSync(keyFile, 'utf8');
    const corrupt = text.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
    fs.writeFileSync(keyFile, corrupt);
    const error = expectConfigError(() => loadOrCreateCheckpointKey(dir, name), /is unusable: .*key text is corrupt; restore it from backup/);
    // The key material is everything after the key ID (base64 may itself hold "+").
    const material = text.trim().split('+').slice(4).join('+');
    expect(material.length).toBeGreaterThan(40);
    expect(error.message).not.toContain(material);
  });

  it('rewrites a stale public key file from the private key', () => {
    const dir = temporaryDir();
    const { verifierKey } = loadOrCreateCheckpointKey(dir, name);
    const verifierFile = path.join(dir, CHECKPOINT_VERIFIER_KEY_FILE);
    fs.writeFileSync(verifierFile, 'aosiq.example/audit+00000000+stale\n');
    loadOrCreateCheckpointKey(dir, name);
    expect(fs.readFileSync(verifierFile, 'utf8')).toBe(`${verifierKey}\n`);
  });

  it('refuses an invalid key name before touching the disk', () => {
    const dir = path.join(temporaryDir(), 'keys');
    expectConfigError(() => loadOrCreateCheckpointKey(dir, 'has space'), /key name "has space" is invalid/);
    expect(fs.existsSync(dir)).toBe(false);
  });
});
