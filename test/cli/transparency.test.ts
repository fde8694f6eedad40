import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyTempDir, exitCodeOf, makeTempDir, parseJson, removeTempDirs, runCli } from './cli-process.js';

describe('aosiq audit transparency log', () => {
  afterAll(removeTempDirs);

  it('checkpoints, proves an event, and verifies proofs and exports without the database', async () => {
    const dir = makeTempDir();
    expect((await runCli(dir, ['start', '--no-serve'])).code).toBe(0);

    // The events and the verifier key are read from copies of the store start left, while the
    // original is checkpointed; then the export is taken from a copy of the checkpointed store
    // while the original writes the proof.
    const [logReader, keyReader] = [copyTempDir(dir), copyTempDir(dir)];
    const [eventsRun, keyRun, checkpoint] = await Promise.all([
      runCli(logReader, ['audit', 'log', '--json']),
      runCli(keyReader, ['audit', 'key']),
      runCli(dir, ['audit', 'checkpoint']),
    ]);
    expect(checkpoint.code, checkpoint.stderr).toBe(0);
    expect(checkpoint.stdout).toMatch(/^aosiq\/local\n\d+\n[A-Za-z0-9+/]{43}=\n/);
    fs.writeFileSync(path.join(dir, 'log.vkey'), keyRun.stdout);
    const events = parseJson<{ id: number }[]>(eventsRun);

    const exporter = copyTempDir(dir);
    const [proof, exported] = await Promise.all([
      runCli(dir, ['audit', 'proof', String(events[1]!.id), '--out', 'p.json']),
      runCli(exporter, ['audit', 'export', '--out', 'log.jsonl']),
    ]);
    expect(proof.code).toBe(0);
    expect(exported.code).toBe(0);

    // Everything below reads files only: the proof and a tampered proof, the export and a
    // truncated export (with the anchors of the store it came from) are each checked at once.
    const tampered = JSON.parse(fs.readFileSync(path.join(dir, 'p.json'), 'utf8')) as { event: { chain_seq: number } };
    tampered.event.chain_seq += 1;
    fs.writeFileSync(path.join(dir, 'tampered.json'), JSON.stringify(tampered));
    fs.copyFileSync(path.join(dir, 'log.vkey'), path.join(exporter, 'log.vkey'));
    const lines = fs.readFileSync(path.join(exporter, 'log.jsonl'), 'utf8').trimEnd().split('\n');
    fs.writeFileSync(path.join(exporter, 'truncated.jsonl'), `${lines.slice(0, -2).join('\n')}\n`);
    const offline = (file: string) => ['audit', 'verify', '--export', file, '--key', 'log.vkey', '--anchors', '.aosiq-anchors'];
    const [proved, tamperedProof, clean, truncated] = await Promise.all([
      runCli(dir, ['audit', 'verify-proof', 'p.json', '--key', 'log.vkey']),
      runCli(dir, ['audit', 'verify-proof', 'tampered.json', '--key', 'log.vkey']),
      runCli(exporter, offline('log.jsonl')),
      runCli(exporter, offline('truncated.jsonl')),
    ]);
    expect(proved.code, proved.stderr).toBe(0);
    expect(tamperedProof.code).toBe(exitCodeOf('AUDIT_CHAIN_BROKEN'));
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/(\d+) of \1 anchored checkpoints match/);
    expect(truncated.code).toBe(exitCodeOf('AUDIT_CHAIN_BROKEN'));
    expect(truncated.stderr).toMatch(/events were removed after it/);
  }, 120_000);
});
