/**
 * The ceiling's cost per model call: reserve (a transaction that takes the session's ledger lock,
 * sums spend and open holds, inserts the hold) plus settle (a transaction that closes the hold
 * and inserts the ledger row), against the kernel's baseline measured in the same run (one
 * transaction that takes an advisory lock and inserts one row). At 1 and at 64 concurrent
 * sessions, each session holding a ceiling and a growing ledger, as a long session does.
 * Prints throughput, the ratio ledger/baseline, and p50/p99 latency of each.
 *
 * Run: npm run bench:ledger   (PostgreSQL from AOS_BENCH_DATABASE_URL, else AOS_TEST_DATABASE_URL,
 * else postgres://postgres@127.0.0.1:5432/postgres; a scratch database is created and dropped)
 */

import { systemClock } from '../src/clock.js';
import { reserve, settle, usdToPico } from '../src/ledger/index.js';
import type { Db } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { openPostgres } from '../src/store/postgres.js';
import { BASELINE_TABLE, baseline, measure, scratchDatabase, show } from './support.js';

const OPS_PER_SESSION: Record<number, number> = { 1: 400, 64: 30 };

function reserveAndSettle(db: Db): (session: number) => Promise<void> {
  return async (session) => {
    const call = { sessionId: `ses_bench_${session}`, actorId: `act_bench_${session}`, className: 'bench', backend: 'openai', model: 'gpt-4o' };
    const hold = await reserve(db, systemClock, {
      ...call,
      usd: usdToPico(0.01),
      holdMs: 300_000,
      sessionCeiling: usdToPico(1_000_000),
      dailyCeiling: null,
    });
    await db.transaction((tx) =>
      settle(tx, systemClock, hold, { usd: usdToPico(0.004), inputTokens: 1200, outputTokens: 300, cachedInputTokens: 0, wallMs: 900, estimated: false }),
    );
  };
}

async function main(): Promise<void> {
  const scratch = await scratchDatabase();
  const db = await openPostgres(scratch.url, 80);
  try {
    await migrate(db);
    await db.exec(BASELINE_TABLE);
    const { rows } = await db.query<{ server_version: string }>('SHOW server_version');
    console.log(`PostgreSQL ${rows[0]!.server_version}, Node ${process.version}`);
    for (const sessions of [1, 64]) {
      const ops = OPS_PER_SESSION[sessions]!;
      // Warm both paths (pool connections, plans) before measuring.
      await measure(sessions, 3, baseline(db));
      await measure(sessions, 3, reserveAndSettle(db));
      const base = await measure(sessions, ops, baseline(db));
      const ours = await measure(sessions, ops, reserveAndSettle(db));
      console.log(`\n${sessions} concurrent session${sessions === 1 ? '' : 's'}, ${sessions * ops} calls each side:`);
      console.log(show('baseline (lock + insert)', base));
      console.log(show('reserve + settle', ours));
      console.log(`throughput ratio ledger/baseline: ${(ours.throughput / base.throughput).toFixed(2)}`);
    }
  } finally {
    await db.close();
    await scratch.drop();
  }
}

await main();
