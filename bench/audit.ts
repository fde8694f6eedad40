/**
 * The audit log's costs, each against a baseline measured in the same run:
 * 1. verification: events/s of the full log verifier (chain links, canonical JSON, chain hash,
 *    Merkle leaves and nodes) against raw SHA-256 over the same bytes it hashes (per event: the
 *    chain input, the leaf input and one node input);
 * 2. appends on PostgreSQL with the integrator running, for one hot session and for 1,000
 *    sessions, against the kernel's baseline (one transaction: advisory lock + insert).
 *
 * Run: npm run bench:audit   (PostgreSQL as for bench/syscall.ts)
 */
import { hash } from 'node:crypto';
import os from 'node:os';
import { recordAuditEvent } from '../src/audit/append.js';
import { GENESIS_HASH } from '../src/audit/event.js';
import { chainHash } from '../src/audit/hash.js';
import { integrate, LogVerifier, type LoggedEvent } from '../src/audit/log/index.js';
import { parseVerifierKey, generateNoteKey } from '../src/audit/checkpoint/index.js';
import { systemClock } from '../src/clock.js';
import { canonicalJson } from '../src/security/canonical/index.js';
import { migrate } from '../src/store/migrate.js';
import { openPostgres } from '../src/store/postgres.js';
import { BASELINE_TABLE, baseline, type Figures, measure, percentile, scratchDatabase, show } from './support.js';

const VERIFY_EVENTS = 40_000;
const BATCH = 1000;

function syntheticLog(): { events: LoggedEvent[]; hashedBytes: Buffer[] } {
  const heads = new Map<string, { seq: number; hash: string }>();
  const events: LoggedEvent[] = [];
  const hashedBytes: Buffer[] = [];
  for (let i = 0; i < VERIFY_EVENTS; i++) {
    const session = `ses_${(i % 100).toString().padStart(3, '0')}`;
    const head = heads.get(session) ?? { seq: 0, hash: GENESIS_HASH };
    const event = {
      id: i + 1,
      log_index: i,
      session_id: session,
      chain_seq: head.seq + 1,
      prev_hash: head.hash,
      type: 'TOOL_CALL_STARTED',
      actor_id: `act_${session}`,
      principal: 'bench',
      payload: { tool: 'fs.read', args: { path: `logs/app-${i}.log`, root: 'workspace' }, args_hash: 'ab'.repeat(32), reversible: true, approval_id: null },
      at: new Date(1_800_000_000_000 + i).toISOString(),
      hash: '',
    };
    event.hash = chainHash(head.hash, event);
    heads.set(session, { seq: event.chain_seq, hash: event.hash });
    events.push(event);
    const text = canonicalJson({ session_id: event.session_id, chain_seq: event.chain_seq, type: event.type, actor: event.actor_id, principal: event.principal, payload: event.payload, timestamp: event.at });
    // The same inputs the verifier hashes per event: the chain input, the leaf input, and (on
    // average, n - 1 nodes for n leaves) one 65-byte node input.
    hashedBytes.push(Buffer.concat([Buffer.from(head.hash, 'hex'), Buffer.from(text)]));
    hashedBytes.push(Buffer.concat([Buffer.from([0]), Buffer.from(event.hash, 'hex')]));
    hashedBytes.push(Buffer.alloc(65, 1));
  }
  return { events, hashedBytes };
}

function timeBatches(count: number, work: (from: number, to: number) => void): Figures {
  const batches: number[] = [];
  const began = performance.now();
  for (let from = 0; from < count; from += BATCH) {
    const start = performance.now();
    work(from, Math.min(count, from + BATCH));
    batches.push(performance.now() - start);
  }
  const seconds = (performance.now() - began) / 1000;
  batches.sort((a, b) => a - b);
  return { throughput: count / seconds, p50: percentile(batches, 50), p99: percentile(batches, 99) };
}

function verification(): void {
  const { events, hashedBytes } = syntheticLog();
  const key = parseVerifierKey(generateNoteKey('bench/log').verifierKey);
  const raw = () =>
    timeBatches(events.length, (from, to) => {
      for (let i = from * 3; i < to * 3; i++) hash('sha256', hashedBytes[i]!, 'buffer');
    });
  const full = () => {
    const verifier = new LogVerifier([], key);
    return timeBatches(events.length, (from, to) => {
      for (let i = from; i < to; i++) if (!verifier.check(events[i]!)) throw new Error('benchmark log failed to verify');
    });
  };
  // Best of five runs each, alternating, so neither side is judged by a collection pause.
  const best = (runs: Figures[]) => runs.reduce((a, b) => (b.throughput > a.throughput ? b : a));
  const baseRuns: Figures[] = [];
  const ourRuns: Figures[] = [];
  for (let run = 0; run < 5; run++) {
    baseRuns.push(raw());
    ourRuns.push(full());
  }
  const base = best(baseRuns);
  const ours = best(ourRuns);
  console.log(`\nverification, ${events.length} events (p50/p99 per batch of ${BATCH}):`);
  console.log(show('raw SHA-256, same bytes', base));
  console.log(show('log verifier', ours));
  console.log(`throughput ratio verifier/SHA-256: ${(ours.throughput / base.throughput).toFixed(2)}`);
}

async function appends(): Promise<void> {
  const scratch = await scratchDatabase();
  const db = await openPostgres(scratch.url, 70);
  try {
    await migrate(db);
    await db.exec(BASELINE_TABLE);
    let integrating = true;
    const integrator = (async () => {
      while (integrating) {
        await integrate(db);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const payload = { tool: 'fs.read', args: { path: 'logs/app.log' }, reversible: true };
    for (const [label, sessions] of [['1 hot session', 1], ['1,000 sessions', 1000]] as const) {
      const writers = 64;
      const ops = 40;
      const append = async (writer: number) => {
        await recordAuditEvent(db, systemClock, {
          sessionId: `ses_${(writer + Math.floor(Math.random() * sessions)) % sessions}`,
          type: 'TOOL_CALL_STARTED',
          actorId: null,
          principal: 'bench',
          payload,
        });
      };
      await measure(writers, 3, baseline(db));
      await measure(writers, 3, append);
      const base = await measure(writers, ops, baseline(db));
      const ours = await measure(writers, ops, append);
      console.log(`\nappends, ${label}, ${writers} concurrent writers, integrator running:`);
      console.log(show('baseline (lock + insert)', base));
      console.log(show('audit append', ours));
      console.log(`throughput ratio append/baseline: ${(ours.throughput / base.throughput).toFixed(2)}`);
    }
    integrating = false;
    await integrator;
    const { size } = await integrate(db);
    const pending = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events WHERE log_index IS NULL')).rows[0]!.n;
    console.log(`\nlog size after the run: ${size}, events not yet integrated: ${pending}`);
  } finally {
    await db.close();
    await scratch.drop();
  }
}

console.log(`Node ${process.version}, ${os.cpus().length} cores`);
verification();
await appends();
