/**
 * Anchors in S3-compatible object storage, against a real S3-protocol server: Ceph's RADOS
 * Gateway on a single-node cluster started on loopback (test/support/ceph.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectRetentionCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3AnchorSink, type S3AnchorOptions } from '../../src/audit/anchors/index.js';
import { startRounds } from '../../src/rounds.js';
import { exampleConfig } from '../../src/config/index.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { type CephS3, cephAvailable, startCephS3 } from '../support/ceph.js';
import { runCli } from '../cli/cli-process.js';

async function until(what: string, condition: () => boolean, seconds = 30): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

(cephAvailable() ? describe : describe.skip)('S3 anchors on Ceph RGW', () => {
  let s3: CephS3;
  let client: S3Client;
  const sink = (options: Partial<S3AnchorOptions> & { bucket: string }) =>
    new S3AnchorSink({
      prefix: 'log/',
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      timeoutMs: 2000,
      ...options,
    });

  beforeAll(async () => {
    s3 = await startCephS3();
    client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: 'plain' }));
    await client.send(new CreateBucketCommand({ Bucket: 'locked', ObjectLockEnabledForBucket: true }));
    await client.send(
      new PutObjectLockConfigurationCommand({
        Bucket: 'locked',
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2 } } },
      }),
    );
    await client.send(new CreateBucketCommand({ Bucket: 'runtime' }));
  }, 120_000);

  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
  }, 30_000);

  it('reports each bucket\'s Object Lock mode, and refuses a lock the bucket cannot honour', async () => {
    await expect(sink({ bucket: 'plain' }).probe()).resolves.toMatch(/^object lock off/);
    await expect(sink({ bucket: 'locked' }).probe()).resolves.toBe('object lock on, bucket default GOVERNANCE for 2 days');
    await expect(sink({ bucket: 'plain', objectLock: { mode: 'COMPLIANCE', retainDays: 1 } }).probe()).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/bucket plain has no Object Lock/),
    });
    await expect(sink({ bucket: 'no-such-bucket' }).probe()).rejects.toThrow();
  });

  it('writes a checkpoint once: the same again is a no-op, a different one under that size is refused', async () => {
    const anchors = sink({ bucket: 'plain' });
    await expect(anchors.anchoredSize()).resolves.toBe(0);
    await anchors.write(5, 'note five\n');
    await anchors.write(5, 'note five\n');
    await expect(anchors.write(5, 'a rewritten note\n')).rejects.toMatchObject({
      code: 'AUDIT_CHAIN_BROKEN',
      message: 's3://plain/log/checkpoint-0000000000000005.txt already anchors a different checkpoint of size 5',
    });
    await anchors.write(9, 'note nine\n');
    const stored = await client.send(new GetObjectCommand({ Bucket: 'plain', Key: 'log/checkpoint-0000000000000005.txt' }));
    expect(await stored.Body!.transformToString()).toBe('note five\n');
    // A second writer (a restarted process) finds where the first one got to.
    await expect(sink({ bucket: 'plain' }).anchoredSize()).resolves.toBe(9);
    expect((await anchors.list()).map(({ size, note }) => ({ size, note }))).toEqual([
      { size: 5, note: 'note five\n' },
      { size: 9, note: 'note nine\n' },
    ]);
  });

  it('puts retention on each anchor in a locked bucket, and sees through overwrites and deletions', async () => {
    const anchors = sink({ bucket: 'locked', objectLock: { mode: 'COMPLIANCE', retainDays: 1 } });
    await anchors.write(3, 'note three\n');
    const retention = await client.send(new GetObjectRetentionCommand({ Bucket: 'locked', Key: 'log/checkpoint-0000000000000003.txt' }));
    expect(retention.Retention?.Mode).toBe('COMPLIANCE');
    expect(retention.Retention!.RetainUntilDate!.getTime() - Date.now()).toBeGreaterThan(23 * 3600_000);
    // Someone holding the writer's keys deletes the object: a delete marker cannot hide the locked version.
    await client.send(new DeleteObjectCommand({ Bucket: 'locked', Key: 'log/checkpoint-0000000000000003.txt' }));
    expect((await anchors.list()).map(({ size, note }) => ({ size, note }))).toEqual([{ size: 3, note: 'note three\n' }]);
    // ...or writes another version over it: the differing versions are reported.
    await client.send(new PutObjectCommand({ Bucket: 'locked', Key: 'log/checkpoint-0000000000000003.txt', Body: 'forged\n' }));
    await expect(anchors.list()).rejects.toMatchObject({
      code: 'AUDIT_CHAIN_BROKEN',
      message: 's3://locked/log/checkpoint-0000000000000003.txt has 2 versions that differ: the anchor of size 3 was overwritten',
    });
  });

  describe('a runtime anchoring to S3', () => {
    let dir: string;
    let runtime: Runtime;
    const env = () => ({ AOS_ANCHOR_S3_ACCESS_KEY_ID: s3.accessKeyId, AOS_ANCHOR_S3_SECRET_ACCESS_KEY: s3.secretAccessKey });

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-s3-runtime-'));
      fs.mkdirSync(path.join(dir, 'workspace'));
      const config = exampleConfig()
        .replace('checkpoint_every_events: 1000', 'checkpoint_every_events: 1')
        .replace(
          /^ {4}directory: .*$/m,
          `    directory: null\n    s3: { bucket: runtime, prefix: "", endpoint: "${s3.endpoint}", force_path_style: true, timeout_ms: 1000 }`,
        );
      fs.writeFileSync(path.join(dir, 'aosiq.yaml'), config);
      runtime = await openRuntime({ configPath: path.join(dir, 'aosiq.yaml'), dataDir: path.join(dir, '.aosiq'), env: env() });
    });

    afterAll(async () => {
      await runtime?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('refuses to start without the anchor store\'s keys', async () => {
      await expect(
        openRuntime({ configPath: path.join(dir, 'aosiq.yaml'), dataDir: path.join(dir, 'other'), env: {} }),
      ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/AOS_ANCHOR_S3_ACCESS_KEY_ID is not set/) });
    });

    it('keeps actors working while the store is down, counts the failures, and catches up when it returns', async () => {
      await runtime.probeAnchors();
      expect(runtime.anchors.sinks).toMatchObject([{ sink: 's3://runtime/', ok: true, protection: expect.stringMatching(/^object lock off/) }]);
      const sealer = startRounds(() => runtime.seal(), { intervalMs: 100, onError: (error) => expect.fail(error.message) });
      try {
        const actor = await runtime.syscall.spawn({ className: 'reviewer', grants: [{ tool: 'fs.list' }] });
        const call = () => runtime.syscall.callTool(actor.token, 'fs.list', { path: '.' });
        await call();
        await until('the first anchor', () => runtime.anchors.anchoredSize > 0 && runtime.anchors.lagEvents === 0);
        const before = { ...runtime.anchors };

        await s3.stopGateway();
        for (let i = 0; i < 5; i++) await expect(call()).resolves.toMatchObject({ result: expect.anything() });
        const failuresAfterCalls = runtime.anchors.failures;
        // Rounds after the calls sign checkpoints that cannot be anchored: failures and lag rise.
        await until('failures while the store is down', () => runtime.anchors.failures >= failuresAfterCalls + 2 && runtime.anchors.lagEvents > 0);
        expect(runtime.anchors.failures).toBeGreaterThan(before.failures);
        expect(runtime.anchors.sinks[0]).toMatchObject({ ok: false, lastError: expect.stringMatching(/^s3:\/\/runtime\/: /) });
        expect(runtime.anchors.anchoredSize).toBe(before.anchoredSize);

        await s3.startGateway();
        await until('anchoring to catch up', () => runtime.anchors.sinks[0]!.ok && runtime.anchors.lagEvents === 0, 60);
        expect(runtime.anchors.successes).toBeGreaterThan(before.successes);
        expect(runtime.anchors.anchoredSize).toBe(runtime.anchors.checkpointSize);
        expect(runtime.anchors.lagSeconds).toBe(0);
      } finally {
        await sealer.stop();
        await s3.startGateway();
      }
    }, 120_000);

    it('verifies an export offline against the bucket, and names a truncated export', async () => {
      await runtime.seal(true);
      await runtime.close();
      const cliEnv = { ...env(), AOS_ANCHOR_S3_ENDPOINT: s3.endpoint };
      expect((await runCli(dir, ['audit', 'export', '--out', 'log.jsonl'], env())).code).toBe(0);
      fs.writeFileSync(path.join(dir, 'log.vkey'), (await runCli(dir, ['audit', 'key'], env())).stdout);
      const verify = (file: string) => runCli(dir, ['audit', 'verify', '--export', file, '--key', 'log.vkey', '--anchors', 's3://runtime/'], cliEnv);
      const ok = await verify('log.jsonl');
      expect(ok.stderr).toBe('');
      expect(ok.stdout).toMatch(/^ok: \d+ events in \d+ sessions; (\d+) of \1 anchored checkpoints match/);
      const lines = fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trimEnd().split('\n');
      fs.writeFileSync(path.join(dir, 'short.jsonl'), `${lines.slice(0, -2).join('\n')}\n`);
      const short = await verify('short.jsonl');
      expect(short.code).toBe(50);
      expect(short.stderr).toMatch(/events were removed after it/);
      const down = await runCli(dir, ['audit', 'verify', '--export', 'log.jsonl', '--key', 'log.vkey', '--anchors', 's3://no-such-bucket/'], cliEnv);
      expect(down.code).toBe(41);
      expect(down.stderr).toMatch(/anchor store s3:\/\/no-such-bucket\/ could not be read/);
      runtime = await openRuntime({ configPath: path.join(dir, 'aosiq.yaml'), dataDir: path.join(dir, '.aosiq'), env: env() });
    }, 60_000);
  });
});
