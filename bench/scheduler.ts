/**
 * The scheduler's cost per actor: claim (FOR UPDATE SKIP LOCKED, epoch bump, STATE_TRANSITION
 * on the session's chain) plus completion (epoch-guarded UPDATE through the transition table,
 * its audit row), against a raw claim-update loop on a plain queue table in the same run (the
 * same SKIP LOCKED claim and a second UPDATE, no audit, no fencing). Then the whole worker:
 * runs of a no-op program through Worker, end to end, with its polling and heartbeats.
 * On PostgreSQL at 1 and 16 concurrent claimers, and on PGlite (one connection) at 1.
 *
 * Run: npm run bench:scheduler   (PostgreSQL from AOS_BENCH_DATABASE_URL, else
 * AOS_TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres; a scratch database
 * is created and dropped)
 */
import { systemClock } from '../src/clock.js';
import { claimActors, releaseLease } from '../src/kernel/lease.js';
import { Worker } from '../src/kernel/worker.js';
import { loadOrCreateKeyStore, TokenIssuer } from '../src/security/capability/index.js';
import type { Db } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { openPglite } from '../src/store/pglite.js';
import { openPostgres } from '../src/store/postgres.js';
import { Syscall, type SyscallDeps } from '../src/syscall/index.js';
import { ToolRegistry } from '../src/tools/index.js';
import { measure, scratchDatabase, show } from './support.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const QUEUE_TABLE = `CREATE TABLE bench_queue (id bigserial PRIMARY KEY, state text NOT NULL, worker text, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX bench_queue_runnable ON bench_queue (created_at) WHERE state = 'runnable'`;

async function depsFor(db: Db): Promise<SyscallDeps> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-bench-keys-'));
  const keys = await loadOrCreateKeyStore(dir, { now: () => new Date(), env: {} });
  return {
    db,
    clock: systemClock,
    tokens: new TokenIssuer({ keys, issuer: 'bench', audience: 'bench' }),
    tools: new ToolRegistry(),
    classes: new Map([['bench', { name: 'bench', kind: 'job', capabilities: [{ tool: '*' }], tokenTtlSeconds: 3600 }]]),
    operator: { name: 'bench', grants: [{ tool: '*' }] },
    maxDelegationDepth: 4,
    maxArgsBytes: 65536,
    toolTimeoutMs: 60_000,
  };
}

/** Queues `count` runs of the no-op program, each in a session of its own (spawn is not measured). */
async function enqueue(syscall: Syscall, count: number): Promise<void> {
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, () => syscall.spawn({ className: 'bench', grants: [{ tool: '*' }], program: { kind: 'noop' } })),
    );
  }
}

async function rawQueue(db: Db, count: number): Promise<void> {
  await db.query(`INSERT INTO bench_queue (state) SELECT 'runnable' FROM generate_series(1, $1)`, [count]);
}

function rawClaimComplete(db: Db) {
  return async (worker: number) => {
    const id = await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: number }>(
        `WITH picked AS MATERIALIZED (SELECT id FROM bench_queue WHERE state = 'runnable' ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
         UPDATE bench_queue q SET state = 'running', worker = $1 FROM picked WHERE q.id = picked.id RETURNING q.id`,
        [`w${worker}`],
      );
      return rows[0]?.id;
    });
    if (id === undefined) throw new Error('raw queue ran dry');
    await db.query(`UPDATE bench_queue SET state = 'done' WHERE id = $1 AND worker = $2`, [id, `w${worker}`]);
  };
}

function claimComplete(db: Db) {
  return async (worker: number) => {
    const [lease] = await claimActors(db, systemClock, { worker: `w${worker}`, leaseMs: 30_000, limit: 1 });
    if (!lease) throw new Error('actor queue ran dry');
    await releaseLease(db, systemClock, lease, { to: 'completed', result: null });
  };
}

async function endToEnd(db: Db, deps: SyscallDeps, syscall: Syscall, count: number, concurrency: number): Promise<number> {
  await enqueue(syscall, count);
  const worker = new Worker(deps, syscall, { noop: async () => ({ to: 'completed', result: null }) }, { concurrency, leaseMs: 30_000, sweepMs: 60_000, pollMs: 50 });
  const began = performance.now();
  await worker.start();
  for (;;) {
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM actors WHERE state IN ('runnable', 'running')");
    if (rows[0]!.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - began) / 1000;
  await worker.stop();
  return count / seconds;
}

/**
 * Recovery: a "dead" worker claims actors with a short lease and never heartbeats; a live
 * worker's sweep requeues them and runs them. Prints how long after each lease ran out its
 * actor was requeued (the sweep's share of "lease + sweep").
 */
async function recovery(db: Db, deps: SyscallDeps, syscall: Syscall, count: number, leaseMs: number, sweepMs: number): Promise<void> {
  await enqueue(syscall, count);
  // Claimed in ten batches 137 ms apart, so leases run out at moments unrelated to the sweep's rhythm.
  const dead = [];
  for (let batch = 0; batch < 10; batch++) {
    dead.push(...(await claimActors(db, systemClock, { worker: 'dead', leaseMs, limit: count / 10 })));
    await new Promise((resolve) => setTimeout(resolve, 137));
  }
  const live = new Worker(deps, syscall, { noop: async () => ({ to: 'completed', result: null }) }, { concurrency: 16, leaseMs: 30_000, sweepMs, pollMs: 50 });
  await live.start();
  for (;;) {
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM actors WHERE state IN ('runnable', 'running')");
    if (rows[0]!.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await live.stop();
  const { rows } = await db.query<{ delay: number }>(
    `SELECT extract(epoch FROM (at::timestamptz - (payload->>'lease_expired_at')::timestamptz)) * 1000 AS delay
       FROM audit_events WHERE type = 'STATE_TRANSITION' AND payload ? 'lease_expired_at' AND actor_id = ANY($1)`,
    [dead.map((lease) => lease.actorId)],
  );
  const delays = rows.map((row) => Number(row.delay)).sort((a, b) => a - b);
  const at = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))]!;
  console.log(`recovery of ${delays.length} orphans (lease ${leaseMs} ms, sweep ${sweepMs} ms): requeued after their lease ran out, p50 ${at(50).toFixed(0)} ms, p99 ${at(99).toFixed(0)} ms, max ${delays.at(-1)!.toFixed(0)} ms`);
}

async function run(label: string, db: Db, claimers: number[], perClaimer: Record<number, number>): Promise<void> {
  await migrate(db);
  await db.exec(QUEUE_TABLE);
  const deps = await depsFor(db);
  const syscall = new Syscall(deps);
  for (const concurrency of claimers) {
    const ops = perClaimer[concurrency]!;
    const total = concurrency * ops;
    await rawQueue(db, total + concurrency * 3);
    await enqueue(syscall, total + concurrency * 3);
    // Warm both paths (connections, plans) before measuring.
    await measure(concurrency, 3, rawClaimComplete(db));
    await measure(concurrency, 3, claimComplete(db));
    const base = await measure(concurrency, ops, rawClaimComplete(db));
    const ours = await measure(concurrency, ops, claimComplete(db));
    console.log(`\n${label}, ${concurrency} concurrent claimer${concurrency === 1 ? '' : 's'}, ${total} actors each side:`);
    console.log(show('baseline (raw claim + update)', base));
    console.log(show('claim + complete (audited)', ours));
    console.log(`throughput ratio scheduler/baseline: ${(ours.throughput / base.throughput).toFixed(2)}`);
    const whole = await endToEnd(db, deps, syscall, total, Math.max(4, concurrency));
    console.log(`whole worker (no-op program, concurrency ${Math.max(4, concurrency)}): ${whole.toFixed(0)} actors/s, ratio to baseline ${(whole / base.throughput).toFixed(2)}`);
  }
  await recovery(db, deps, syscall, 100, 1000, 500);
}

async function main(): Promise<void> {
  console.log(`Node ${process.version}`);
  const scratch = await scratchDatabase();
  const pg = await openPostgres(scratch.url, 40);
  try {
    const { rows } = await pg.query<{ server_version: string }>('SHOW server_version');
    await run(`PostgreSQL ${rows[0]!.server_version}`, pg, [1, 16], { 1: 400, 16: 60 });
  } finally {
    await pg.close();
    await scratch.drop();
  }
  const lite = await openPglite();
  try {
    await run('PGlite (in memory)', lite, [1], { 1: 400 });
  } finally {
    await lite.close();
  }
}

await main();
