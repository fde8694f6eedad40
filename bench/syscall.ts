/**
 * Governed no-op tool calls through the syscall on PostgreSQL, at 1 and at 64 concurrent
 * sessions, against a baseline measured in the same run: one transaction that takes the
 * session's advisory lock and inserts one row. Prints throughput, the ratio to the baseline,
 * and p50/p99 latency of each.
 *
 * Run: npm run bench   (PostgreSQL from AOS_BENCH_DATABASE_URL, else AOS_TEST_DATABASE_URL,
 * else postgres://postgres@127.0.0.1:5432/postgres; a scratch database is created and dropped)
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { systemClock } from '../src/clock.js';
import { loadOrCreateKeyStore, TokenIssuer } from '../src/security/capability/index.js';
import type { Db } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { openPostgres } from '../src/store/postgres.js';
import { Syscall } from '../src/syscall/index.js';
import { ToolRegistry } from '../src/tools/index.js';
import { BASELINE_TABLE, baseline, measure, scratchDatabase, show } from './support.js';

const OPS_PER_SESSION: Record<number, number> = { 1: 400, 64: 30 };

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

async function main(): Promise<void> {
  const scratch = await scratchDatabase();
  const db = await openPostgres(scratch.url, 70);
  try {
    await migrate(db);
    await db.exec(BASELINE_TABLE);
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
