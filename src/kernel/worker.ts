/**
 * A worker: claims runnable actors up to its concurrency, runs each through its program while
 * heartbeating the lease, and sweeps for orphans, decided approvals and expired tokens. Any
 * number of workers, in any number of processes, share one database; the lease epoch makes
 * sure only the current holder of an actor can write for it.
 */
import { randomBytes } from 'node:crypto';
import { AosError, isAosError } from '../errors.js';
import type { MintClaims } from '../security/capability/index.js';
import type { Syscall, SyscallDeps } from '../syscall/index.js';
import { claimActors, heartbeat, type Lease, type LeaseOutcome, latestCheckpoint, releaseLease } from './lease.js';
import { faultPoint, programContext, type ProgramRunner } from './program.js';
import { sweep } from './reaper.js';

export interface WorkerOptions {
  /** Shown in audit rows and logs; random when absent. */
  id?: string;
  concurrency: number;
  leaseMs: number;
  sweepMs: number;
  pollMs: number;
  /** One line per notable event (claims, recoveries, lost leases, store trouble). */
  log?: (line: string) => void;
  /** Claim only these actors (e.g. `aosiq run` running its own run, leaving others queued). */
  only?: readonly string[];
}

const MAX_BACKOFF_MS = 5000;

/** Errors that mean the store is unreachable for now: the work is left for a retry or the reaper. */
export function isTransientStoreError(error: unknown): boolean {
  if (isAosError(error)) return error.code === 'STORE_UNAVAILABLE';
  const code = (error as { code?: unknown })?.code;
  const message = (error as Error)?.message ?? '';
  return (
    // 08: connection, 57P: shutdown, 40P01/40001: deadlock/serialization (retry the whole thing).
    (typeof code === 'string' && (/^(08|57P)/.test(code) || ['40P01', '40001', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code))) ||
    /Connection terminated|connection is closed|Client has encountered a connection error/i.test(message)
  );
}

export class Worker {
  readonly id: string;
  private readonly running = new Map<string, AbortController>();
  /** Classes whose runs get a fresh token at dispatch. */
  private readonly refreshable: string[];
  private stopped = false;
  private wake: () => void = () => {};
  private loop: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly deps: SyscallDeps,
    private readonly syscall: Syscall,
    private readonly programs: Readonly<Record<string, ProgramRunner>>,
    private readonly options: WorkerOptions,
  ) {
    this.id = options.id ?? `w_${randomBytes(4).toString('hex')}`;
    this.refreshable = [...deps.classes.values()].filter((cls) => cls.tokenRefresh).map((cls) => cls.name);
  }

  /** Actors this worker is running now. */
  get active(): number {
    return this.running.size;
  }

  async start(): Promise<void> {
    try {
      this.unlisten = await this.deps.db.listen('aos_runnable', () => this.wake());
    } catch (error) {
      this.log(`listen failed, polling every ${this.options.pollMs} ms: ${(error as Error).message}`);
    }
    this.loop = this.run();
  }

  /** Stops claiming, asks running actors to stop (they go back to runnable), and waits for them. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const controller of this.running.values()) controller.abort(new AosError('LEASE_LOST', `worker ${this.id} is stopping`));
    this.wake();
    await this.loop;
    await this.unlisten?.();
  }

  private log(line: string): void {
    this.options.log?.(`worker ${this.id}: ${line}`);
  }

  private async run(): Promise<void> {
    const tasks = new Set<Promise<void>>();
    let lastSweep = 0;
    let backoff = 0;
    while (!this.stopped) {
      let claimed = 0;
      let free = 0;
      try {
        if (Date.now() - lastSweep >= this.options.sweepMs) {
          const swept = await sweep(this.deps.db, this.deps.clock, { limit: 100, refreshable: this.refreshable });
          lastSweep = Date.now();
          for (const id of swept.recovered) this.log(`recovered ${id}: its worker stopped heartbeating`);
          for (const id of swept.expired) this.log(`${id}: token expired; renew with \`aosiq actors renew ${id}\``);
        }
        free = this.options.concurrency - this.running.size;
        const leases = await claimActors(this.deps.db, this.deps.clock, {
          worker: this.id,
          leaseMs: this.options.leaseMs,
          limit: free,
          refreshable: this.refreshable,
          ...(this.options.only ? { only: this.options.only } : {}),
        });
        claimed = leases.length;
        for (const lease of leases) {
          const task = this.runActor(lease).finally(() => tasks.delete(task));
          tasks.add(task);
        }
        if (backoff > 0) this.log('store reachable again');
        backoff = 0;
      } catch (error) {
        backoff = Math.min(MAX_BACKOFF_MS, backoff === 0 ? 100 : backoff * 2);
        this.log(`${isTransientStoreError(error) ? 'store unavailable' : 'scheduling failed'}, retrying in ${backoff} ms: ${(error as Error).message}`);
      }
      // Full claim: there may be more work at once. Otherwise wait for a notification, a free
      // slot, the next sweep, or the poll interval.
      const delay = backoff > 0 ? backoff : claimed > 0 && claimed === free ? 0 : Math.min(this.options.pollMs, this.options.sweepMs);
      if (delay > 0 || this.running.size >= this.options.concurrency) await this.idle(delay || this.options.pollMs);
    }
    await Promise.all(tasks);
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async runActor(claimed: Lease): Promise<void> {
    let lease = claimed;
    const controller = new AbortController();
    this.running.set(lease.actorId, controller);
    let beating = false;
    const beat = setInterval(() => {
      if (beating) return;
      beating = true;
      heartbeat(this.deps.db, lease, this.options.leaseMs)
        .catch((error: unknown) => {
          // Lost: stop at once. Store down: keep trying; if the lease runs out meanwhile, the
          // next write (or heartbeat) fails and the actor is another worker's.
          if (isAosError(error, 'LEASE_LOST')) controller.abort(error);
        })
        .finally(() => {
          beating = false;
        });
    }, Math.max(100, Math.floor(this.options.leaseMs / 3)));
    try {
      faultPoint('claimed');
      // Claimed while stopping: hand it straight back.
      if (this.stopped) {
        await releaseLease(this.deps.db, this.deps.clock, lease, { to: 'runnable', reason: `worker ${this.id} stopped` });
        return;
      }
      const runner = this.programs[(lease.program as { kind?: string })?.kind ?? ''];
      if (!runner) throw new AosError('INTERNAL', `no program runner for ${JSON.stringify(lease.program)}`);
      const refreshed = await this.refreshOnDispatch(lease);
      if ('to' in refreshed) {
        await releaseLease(this.deps.db, this.deps.clock, lease, refreshed);
        this.log(`${lease.actorId} → ${refreshed.to}: ${refreshed.reason}`);
        return;
      }
      lease = refreshed.lease;
      const token = refreshed.token ?? (await this.deps.tokens.mint(lease.mintClaims as unknown as MintClaims)).token;
      const resumeFrom = await latestCheckpoint(this.deps.db, lease.actorId);
      const context = programContext(this.deps, this.syscall, { lease, token, signal: controller.signal, resumeFrom });
      let outcome: LeaseOutcome;
      try {
        outcome = await runner(context);
      } catch (error) {
        if (!controller.signal.aborted || !this.stopped) throw error;
        outcome = { to: 'runnable', reason: `worker ${this.id} stopped` };
      }
      // A suspended actor left running when it filed its approval, so its heartbeat may already
      // have failed; any other outcome of an aborted run is not this worker's to record.
      if (controller.signal.aborted && !this.stopped && outcome.to !== 'waiting_approval') throw controller.signal.reason;
      await releaseLease(this.deps.db, this.deps.clock, lease, outcome);
      this.log(`${lease.actorId} → ${outcome.to}`);
    } catch (error) {
      await this.settleFailure(lease, error);
    } finally {
      clearInterval(beat);
      this.running.delete(lease.actorId);
      this.wake();
    }
  }

  /**
   * For a class with token_refresh: a token with less than half its TTL left (or none) is
   * renewed now, capped at the actor's max lifetime; past that lifetime with an expired token
   * the run becomes token_expired like any other.
   */
  private async refreshOnDispatch(lease: Lease): Promise<{ lease: Lease; token?: string } | Extract<LeaseOutcome, { to: 'token_expired' }>> {
    const cls = this.deps.classes.get(lease.className);
    if (!cls?.tokenRefresh) return { lease };
    const { rows } = await this.deps.db.query<{ left_s: number; until: Date }>(
      `SELECT extract(epoch FROM token_expires_at - now())::float8 AS left_s,
              created_at + $2::integer * interval '1 second' AS until
         FROM actors WHERE id = $1`,
      [lease.actorId, cls.tokenRefresh.maxLifetimeSeconds],
    );
    const { left_s: left, until } = rows[0]!;
    if (left > cls.tokenTtlSeconds / 2) return { lease };
    if (new Date(until).getTime() <= Date.now()) {
      if (left > 0) return { lease };
      return { to: 'token_expired', reason: `its token expired and it is past its class's max_lifetime_seconds (${cls.tokenRefresh.maxLifetimeSeconds}); renew it with \`aosiq actors renew ${lease.actorId}\`` };
    }
    const renewal = await this.syscall.renew(lease.actorId, `worker:${this.id}`, 'refreshed on dispatch (token_refresh)', { notAfter: new Date(until), epoch: lease.epoch });
    return { lease: { ...lease, tokenJti: renewal.jti, mintClaims: renewal.claims }, token: renewal.token };
  }

  /** What a run that threw leaves behind: nothing when fenced or the store is down, else a recorded end. */
  private async settleFailure(lease: Lease, error: unknown): Promise<void> {
    if (isAosError(error, 'LEASE_LOST')) {
      this.log(`${lease.actorId}: lease ${lease.epoch} lost, stopped`);
      return;
    }
    if (isTransientStoreError(error)) {
      this.log(`${lease.actorId}: store unavailable, left for recovery: ${(error as Error).message}`);
      return;
    }
    let outcome: LeaseOutcome = { to: 'failed', reason: (error as Error)?.message ?? String(error) };
    if (isAosError(error, 'TOKEN_EXPIRED') && this.refreshable.includes(lease.className)) {
      outcome = { to: 'runnable', reason: 'its token expired while running; its class refreshes tokens at dispatch' };
    } else if (isAosError(error, 'TOKEN_EXPIRED')) {
      outcome = { to: 'token_expired', reason: `its capability token expired while running; renew it with \`aosiq actors renew ${lease.actorId}\`` };
    } else if (isAosError(error, 'ACTOR_NOT_ALIVE')) {
      // Renewed (a new jti) while running: requeue, and the next claim mints the new token.
      // Killed: the release below matches nothing, as it should.
      outcome = { to: 'runnable', reason: 'its token was replaced while running; resuming with the new one' };
    }
    try {
      await releaseLease(this.deps.db, this.deps.clock, lease, outcome);
      this.log(`${lease.actorId} → ${outcome.to}: ${outcome.reason}`);
    } catch (releaseError) {
      this.log(`${lease.actorId}: could not record ${outcome.to} (${(releaseError as Error).message}); left for recovery`);
    }
  }
}
