import type { Clock } from '../clock.js';
import { AosError } from '../errors.js';
import type { Db, Queryable } from '../store/db.js';
import { type AuditEventInput, GENESIS_HASH } from './event.js';
import { canonicalJson } from '../security/canonical/index.js';
import { chainHash } from './hash.js';

/**
 * Serialises writers of one session's chain until the transaction ends. Taking it twice in one
 * transaction is harmless, so callers that must read-then-write under it take it first.
 */
export async function lockSession(tx: Queryable, sessionId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [sessionId]);
}

export interface Appended {
  sessionId: string;
  chainSeq: number;
  hash: string;
}

/**
 * Refuses the event's row unless this actor is alive and still holds this token; with an
 * epoch, also unless it is running under exactly that lease (a worker's writes).
 */
export interface LiveActorGuard {
  actorId: string;
  jti: string;
  epoch?: number;
}

interface Pending {
  event: AuditEventInput;
  /** The payload's canonical JSON, computed once however often the append is retried. */
  payloadJcs: string;
  at: string;
  guard: LiveActorGuard | undefined;
  attempts: number;
  /** Set after a failed batch, so the event is written by itself. */
  alone?: boolean;
  resolve(appended: Appended): void;
  reject(error: Error): void;
}

type Status = 'appended' | 'stale_head' | 'skipped' | 'actor_not_alive' | 'lease_lost';

// The last head this process saw per session. Only a guess: the database checks it under the
// session lock and answers with the real head when it is stale (another process wrote, or a
// transaction rolled back), so a wrong guess costs a retry, never a fork.
const heads = new Map<string, { seq: number; hash: string }>();
const MAX_CACHED_HEADS = 50_000;
const MAX_ATTEMPTS = 5;
const MAX_BATCH = 256;

/** Writes one batch in one statement; settles what is final and returns what must be retried. */
async function submit(q: Queryable, batch: Pending[]): Promise<Pending[]> {
  const local = new Map<string, { seq: number; hash: string }>();
  const rows = batch.map((pending) => {
    const { event } = pending;
    const head = local.get(event.sessionId) ?? heads.get(event.sessionId) ?? { seq: 0, hash: GENESIS_HASH };
    const stored = {
      session_id: event.sessionId,
      chain_seq: head.seq + 1,
      type: event.type,
      actor_id: event.actorId,
      principal: event.principal,
      payload: event.payload,
      at: pending.at,
    };
    const hash = chainHash(head.hash, stored, pending.payloadJcs);
    local.set(event.sessionId, { seq: stored.chain_seq, hash });
    return {
      session: event.sessionId,
      seq: stored.chain_seq,
      prev: head.hash,
      hash,
      type: event.type,
      actor: event.actorId,
      principal: event.principal,
      payload: event.payload,
      at: pending.at,
      live_actor: pending.guard?.actorId ?? null,
      live_jti: pending.guard?.jti ?? null,
      live_epoch: pending.guard?.epoch ?? null,
      ledger: event.ledger ?? null,
      checkpoint: event.checkpoint ?? null,
    };
  });
  const result = await q.query<{
    idx: number;
    status: Status;
    head_seq: number;
    head_hash: string;
    actor_state: string | null;
  }>('SELECT * FROM aos_append_events($1::jsonb)', [JSON.stringify(rows)]);
  if (heads.size >= MAX_CACHED_HEADS) heads.clear();
  if (result.rows.length !== batch.length) {
    throw new AosError('INTERNAL', `aos_append_events answered ${result.rows.length} rows for ${batch.length} events`);
  }
  const retry: Pending[] = [];
  for (const outcome of result.rows) {
    const pending = batch[outcome.idx]!;
    const row = rows[outcome.idx]!;
    if (outcome.status === 'appended') {
      heads.set(row.session, { seq: row.seq, hash: row.hash });
      pending.resolve({ sessionId: row.session, chainSeq: row.seq, hash: row.hash });
      continue;
    }
    if (outcome.status !== 'skipped')
      heads.set(row.session, { seq: Number(outcome.head_seq), hash: outcome.head_hash });
    if (outcome.status === 'actor_not_alive') {
      const actorId = pending.guard?.actorId;
      pending.reject(
        new AosError(
          'ACTOR_NOT_ALIVE',
          outcome.actor_state === null
            ? `the token names actor ${actorId}, which does not exist`
            : `actor ${actorId} is ${outcome.actor_state} or holds a newer token; this token no longer authorises anything`,
          { actorId, state: outcome.actor_state },
        ),
      );
    } else if (outcome.status === 'lease_lost') {
      pending.reject(
        new AosError(
          'LEASE_LOST',
          `actor ${pending.guard?.actorId} is no longer running under lease epoch ${pending.guard?.epoch} (another worker took it, or it was stopped)${pending.event.checkpoint ? `, or its step ${pending.event.checkpoint.step} is already checkpointed` : ''}; this worker must stop`,
          { actorId: pending.guard?.actorId, epoch: pending.guard?.epoch, state: outcome.actor_state },
        ),
      );
    } else if (outcome.status === 'stale_head' && ++pending.attempts >= MAX_ATTEMPTS) {
      pending.reject(
        new AosError('CONFLICT', `could not append to session ${row.session}: its chain head kept moving`, {
          sessionId: row.session,
        }),
      );
    } else {
      retry.push(pending);
    }
  }
  return retry;
}

function pendingFor(clock: Clock, event: AuditEventInput, guard: LiveActorGuard | undefined) {
  // Refuse an event that cannot be hashed or stored here, so it fails its own caller only and
  // never the other events it would have shared a batch with.
  const payloadJcs = canonicalJson(event.payload, `${event.type} payload`);
  canonicalJson([event.sessionId, event.type, event.actorId, event.principal], `${event.type} event`);
  let settle!: Pick<Pending, 'resolve' | 'reject'>;
  const promise = new Promise<Appended>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const pending: Pending = { event, payloadJcs, at: clock.now().toISOString(), guard, attempts: 0, ...settle };
  return { pending, promise };
}

/**
 * Appends events in order inside the caller's transaction, so each commits or rolls back with
 * the state change it records.
 *
 * @example
 * await db.transaction((tx) => appendAuditEvents(tx, clock, [spawned]));
 */
export async function appendAuditEvents(
  tx: Queryable,
  clock: Clock,
  events: readonly AuditEventInput[],
  guard?: LiveActorGuard,
): Promise<Appended[]> {
  const entries = events.map((event) => pendingFor(clock, event, guard));
  // Attach the handlers now: an entry may be rejected while later batches are still written.
  const all = Promise.all(entries.map((entry) => entry.promise));
  all.catch(() => {});
  let batch = entries.map((entry) => entry.pending);
  while (batch.length > 0) batch = await submit(tx, batch);
  return all;
}

/**
 * Group commit: events recorded in a transaction of their own, queued while a write is in
 * flight and then written together, so many sessions share one commit.
 */
class GroupCommitter {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(private readonly db: Db) {}

  add(pending: Pending): void {
    this.queue.push(pending);
    if (!this.flushing) void this.flush();
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0) {
      const batch = this.queue[0]!.alone ? this.queue.splice(0, 1) : this.queue.splice(0, MAX_BATCH);
      try {
        // Retries go first so each session's events keep their order.
        this.queue.unshift(...(await submit(this.db, batch)));
      } catch (error) {
        if (batch.length === 1) {
          batch[0]!.reject(error as Error);
        } else {
          // Find the event at fault by writing the batch one event at a time.
          this.queue.unshift(...batch.map((pending) => ({ ...pending, alone: true })));
        }
      }
    }
    this.flushing = false;
  }
}

const committers = new WeakMap<Db, GroupCommitter>();

/**
 * Records one event in a transaction of its own, sharing the commit with whatever other events
 * are being recorded at that moment. With a guard, nothing is written and ACTOR_NOT_ALIVE is
 * thrown when the actor was killed (or its token replaced) before the session lock was granted.
 * Resolves only once the event is durable.
 *
 * @example
 * await recordAuditEvent(db, clock, { sessionId, type: 'TOOL_CALL_COMPLETED', actorId, principal, payload });
 */
export function recordAuditEvent(
  db: Db,
  clock: Clock,
  event: AuditEventInput,
  guard?: LiveActorGuard,
): Promise<Appended> {
  let committer = committers.get(db);
  if (!committer) {
    committer = new GroupCommitter(db);
    committers.set(db, committer);
  }
  try {
    const { pending, promise } = pendingFor(clock, event, guard);
    committer.add(pending);
    return promise;
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
