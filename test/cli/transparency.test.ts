import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeOf, makeTempDir, parseJson, removeTempDirs, runCli } from './cli-process.js';

describe('aosiq audit transparency log', () => {
  let dir = '';
  beforeAll(() => {
    dir = makeTempDir();
  });
  afterAll(removeTempDirs);

  it('checkpoints, proves an event, and verifies proofs and exports without the database', async () => {
    expect((await runCli(dir, ['start', '--no-serve'])).code).toBe(0);
    const checkpoint = await runCli(dir, ['audit', 'checkpoint']);
    expect(checkpoint.code, checkpoint.stderr).toBe(0);
    expect(checkpoint.stdout).toMatch(/^aosiq\/local\n\d+\n[A-Za-z0-9+/]{43}=\n/);
    fs.writeFileSync(path.join(dir, 'log.vkey'), (await runCli(dir, ['audit', 'key'])).stdout);

    const events = parseJson<{ id: number }[]>(await runCli(dir, ['audit', 'log', '--json']));
    expect((await runCli(dir, ['audit', 'proof', String(events[1]!.id), '--out', 'p.json'])).code).toBe(0);
    const proved = await runCli(dir, ['audit', 'verify-proof', 'p.json', '--key', 'log.vkey']);
    expect(proved.code, proved.stderr).toBe(0);
    const proof = path.join(dir, 'p.json');
    const tampered = JSON.parse(fs.readFileSync(proof, 'utf8')) as { event: { chain_seq: number } };
    tampered.event.chain_seq += 1;
    fs.writeFileSync(proof, JSON.stringify(tampered));
    expect((await runCli(dir, ['audit', 'verify-proof', 'p.json', '--key', 'log.vkey'])).code).toBe(exitCodeOf('AUDIT_CHAIN_BROKEN'));

    expect((await runCli(dir, ['audit', 'export', '--out', 'log.jsonl'])).code).toBe(0);
    const offline = ['audit', 'verify', '--export', 'log.jsonl', '--key', 'log.vkey', '--anchors', '.aosiq-anchors'];
    const clean = await runCli(dir, offline);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/1 of 1 anchored checkpoints match/);
    const lines = fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trimEnd().split('\n');
    fs.writeFileSync(path.join(dir, 'log.jsonl'), `${lines.slice(0, -2).join('\n')}\n`);
    const truncated = await runCli(dir, offline);
    expect(truncated.code).toBe(exitCodeOf('AUDIT_CHAIN_BROKEN'));
    expect(truncated.stderr).toMatch(/events were removed after it/);
  }, 120_000);
});
