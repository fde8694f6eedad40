/** What the benchmarks share: timing, percentiles, a scratch PostgreSQL database, the baseline. */
import type { Db } from '../src/store/db.js';
import { createScratchDatabase } from '../test/support/scratch-database.js';

const serverUrl =
  process.env.AOS_BENCH_DATABASE_URL ??
  process.env.AOS_TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';
export interface Figures {
  throughput: number;
  p50: number;
  p99: number;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function measure(
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

/** A scratch database on the benchmark's server (see the header of each benchmark). */
export function scratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  return createScratchDatabase(serverUrl, 'aosiq_bench');
}

/**
 * The kernel's baseline: one transaction that takes a session's advisory lock and inserts one
 * row, the least any audited write can cost.
 */
export function baseline(db: Db): (session: number) => Promise<void> {
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

export const BASELINE_TABLE =
  'CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, session_id text NOT NULL, payload jsonb NOT NULL)';

export function show(label: string, figures: Figures): string {
  return `${label.padEnd(30)} ${figures.throughput.toFixed(0).padStart(8)} /s   p50 ${figures.p50.toFixed(2).padStart(7)} ms   p99 ${figures.p99.toFixed(2).padStart(7)} ms`;
}
