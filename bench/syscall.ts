/**
 * Governed no-op tool calls through the syscall on PostgreSQL, at 1 and at 64 concurrent
 * sessions, against a baseline measured in the same run: one transaction that takes the
 * session's advisory lock and inserts one row. Prints throughput, the ratio to the baseline,
 * and p50/p99 latency of each.
 *
 * Run: npm run bench   (PostgreSQL from AOS_BENCH_DATABASE_URL, else AOS_TEST_DATABASE_URL,
 * else postgres://postgres@127.0.0.1:5432/postgres; a scratch database is created and dropped)
 */

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { z } from 'zod';
import { systemClock } from '../src/clock.js';
import { loadOrCreateKeyStore, TokenIssuer } from '../src/security/capability/index.js';
import type { Db } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { openPostgres } from '../src/store/postgres.js';
import { Syscall } from '../src/syscall/index.js';
import { ToolRegistry } from '../src/tools/index.js';

const serverUrl =
  process.env.AOS_BENCH_DATABASE_URL ??
  process.env.AOS_TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';
const OPS_PER_SESSION: Record<number, number> = { 1: 400, 64: 30 };

interface Figures {
  throughput: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(
  sessions: number,
  opsPerSession: number,
  op: (session: number) => Promise<void>,
): Promise<Figures> {
  const latencies: number[] = [];
  const began = performance.now();
  await Promise.all(
    Array.from({ length: sessions }, async (_, session) => {
      for (let i = 0; i < opsPerSession; i++) {
        const start = performance.now();
        await op(session);
        latencies.push(performance.now() - start);
      }
    }),
  );
  const seconds = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    throughput: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function scratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `aosiq_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

async function governed(db: Db, sessions: number): Promise<(session: number) => Promise<void>> {
  const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-bench-'));
  const keys = await loadOrCreateKeyStore(path.join(keysDir, 'keys'));
  const tools = new ToolRegistry();
  tools.register({
    name: 'bench.noop',
    description: 'does nothing',
    input: z.strictObject({}),
    reversible: true,
    blastRadius: { level: 'low', reason: 'does nothing' },
    run: async () => null,
  });
  const syscall = new Syscall({
    db,
    clock: systemClock,
    tokens: new TokenIssuer({ keys, issuer: 'aosiq', audience: 'aosiq' }),
    tools,
    classes: new Map([
      [
        'bench',
        { name: 'bench', kind: 'script', capabilities: [{ tool: 'bench.*' }], tokenTtlSeconds: 3600 },
      ],
    ]),
    operator: { name: 'bench', grants: [{ tool: '*' }] },
    maxDelegationDepth: 2,
    maxArgsBytes: 65536,
    toolTimeoutMs: 5000,
  });
  const tokens: string[] = [];
  for (let i = 0; i < sessions; i++) {
    tokens.push((await syscall.spawn({ className: 'bench', grants: [{ tool: 'bench.noop' }] })).token);
  }
  return async (session) => {
    await syscall.callTool(tokens[session]!, 'bench.noop', {});
  };
}

function baseline(db: Db): (session: number) => Promise<void> {
  return async (session) => {
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`baseline_${session}`]);
      await tx.query('INSERT INTO bench_baseline (session_id, payload) VALUES ($1, $2::jsonb)', [
        `baseline_${session}`,
        '{"tool":"bench.noop"}',
      ]);
    });
  };
}

function show(label: string, figures: Figures): string {
  return `${label.padEnd(26)} ${figures.throughput.toFixed(0).padStart(7)} ops/s   p50 ${figures.p50.toFixed(2).padStart(6)} ms   p99 ${figures.p99.toFixed(2).padStart(6)} ms`;
}

async function main(): Promise<void> {
  const scratch = await scratchDatabase();
  const db = await openPostgres(scratch.url, 70);
  try {
    await migrate(db);
    await db.exec(
      'CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, session_id text NOT NULL, payload jsonb NOT NULL)',
    );
    console.log(
      `PostgreSQL ${(await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v}, Node ${process.version}, ${os.cpus().length} cores`,
    );
    for (const sessions of [1, 64]) {
      const ops = OPS_PER_SESSION[sessions]!;
      const call = await governed(db, sessions);
      // Warm both paths (connections, JIT, token cache) before measuring.
      await measure(sessions, 3, baseline(db));
      await measure(sessions, 3, call);
      const base = await measure(sessions, ops, baseline(db));
      const ours = await measure(sessions, ops, call);
      console.log(
        `\n${sessions} concurrent session${sessions === 1 ? '' : 's'}, ${sessions * ops} operations each:`,
      );
      console.log(show('baseline (lock + insert)', base));
      console.log(show('governed no-op call', ours));
      console.log(`throughput ratio governed/baseline: ${(ours.throughput / base.throughput).toFixed(2)}`);
    }
  } finally {
    await db.close();
    await scratch.drop();
  }
}

await main();
