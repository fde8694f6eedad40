/**
 * Fencing, on both stores: once a worker's lease is taken, every write it tries (heartbeat,
 * tool-call record, checkpoint, final transition) matches nothing and raises LEASE_LOST; the
 * sweep recovers an orphan under a new epoch and names the call that never recorded an outcome.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStoredChains } from '../../src/audit/index.js';
import { claimActors, heartbeat, latestCheckpoint, releaseLease } from '../../src/kernel/lease.js';
import { programContext } from '../../src/kernel/program.js';
import { sweep } from '../../src/kernel/reaper.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { startWorkflow } from '../../src/workflows/index.js';
import { createScratchDatabase } from '../support/scratch-database.js';
import { storeKinds } from '../support/stores.js';

const MODULE = path.resolve('test/fixtures/tools/effects.mjs');

const CONFIG = `version: 1
actor_classes:
  nightly:
    kind: job
    capabilities: [{ tool: effects.* }]
  brief:
    kind: job
    capabilities: [{ tool: effects.* }]
    # Tokens carry whole seconds: a 2 s TTL expires 1 to 2 s after minting.
    token_ttl_seconds: 2
  refreshing:
    kind: job
    capabilities: [{ tool: effects.* }]
    token_ttl_seconds: 2
    token_refresh: { on_dispatch: true, max_lifetime_seconds: 600 }
  capped:
    kind: job
    capabilities: [{ tool: effects.* }]
    token_ttl_seconds: 1
    token_refresh: { on_dispatch: true, max_lifetime_seconds: 1 }
tools:
  modules: [${MODULE}]
workflows:
  slow:
    class: nightly
    steps:
      - { id: one, tool: effects.record, args: { label: one } }
  short-lived:
    class: brief
    steps:
      - { id: one, tool: effects.record, args: { label: one } }
  refreshed:
    class: refreshing
    steps:
      - { id: one, tool: effects.record, args: { label: one } }
  capped-run:
    class: capped
    steps:
      - { id: one, tool: effects.record, args: { label: one } }
`;

for (const kind of storeKinds()) {
  describe(`leases and fencing [${kind}]`, () => {
    let runtime: Runtime;
    let dir: string;
    let drop = async () => {};

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-leases-'));
      process.env.AOS_TEST_EFFECTS = path.join(dir, 'effects.jsonl');
      fs.writeFileSync(path.join(dir, 'aosiq.yaml'), CONFIG);
      let databaseUrl: string | undefined;
      if (kind === 'postgres') {
        const scratch = await createScratchDatabase(process.env.AOS_TEST_DATABASE_URL!, 'aosiq_leases');
        databaseUrl = scratch.url;
        drop = scratch.drop;
      }
      runtime = await openRuntime({ configPath: path.join(dir, 'aosiq.yaml'), dataDir: path.join(dir, '.aosiq'), databaseUrl });
    }, 60_000);

    afterAll(async () => {
      await runtime?.close();
      await drop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    let db: Runtime['db'];
    beforeAll(() => {
      db = runtime.db;
    });
    const clock = () => runtime.deps.clock;
    const expireLease = (actorId: string) =>
      db.query("UPDATE actors SET lease_expires_at = now() - interval '1 second' WHERE id = $1", [actorId]);

    it('claims each runnable actor once, under a new epoch, and skips actors driven from outside', async () => {
      const outside = await runtime.syscall.spawn({ className: 'nightly', grants: [{ tool: 'effects.*' }] });
      const run = await startWorkflow(runtime.syscall, runtime.deps, runtime.config.workflows, { workflow: 'slow', trigger: 'manual' });
      const [first, second] = await Promise.all([
        claimActors(db, clock(), { worker: 'a', leaseMs: 5000, limit: 10 }),
        claimActors(db, clock(), { worker: 'b', leaseMs: 5000, limit: 10 }),
      ]);
      const claimed = [...first, ...second];
      expect(claimed.map((lease) => [lease.actorId, lease.epoch])).toEqual([[run.actorId, 1]]);
      expect(claimed.some((lease) => lease.actorId === outside.actorId)).toBe(false);
      await releaseLease(db, clock(), claimed[0]!, { to: 'completed', result: null });
      await expect(releaseLease(db, clock(), claimed[0]!, { to: 'failed', reason: 'again' })).rejects.toMatchObject({ code: 'LEASE_LOST' });
    });

    it('fences a worker whose lease was taken: no heartbeat, call, checkpoint or transition of it commits', async () => {
      const run = await startWorkflow(runtime.syscall, runtime.deps, runtime.config.workflows, { workflow: 'slow', trigger: 'manual' });
      const [stale] = await claimActors(db, clock(), { worker: 'paused', leaseMs: 5000, limit: 1 });
      const { token } = await runtime.deps.tokens.mint(stale!.mintClaims as never);
      const staleContext = programContext(runtime.deps, runtime.syscall, { lease: stale!, token, signal: new AbortController().signal, resumeFrom: null });
      // The paused worker had a call in flight when it stopped.
      const inFlight = staleContext.callTool(1, 'effects.record', { label: 'slow', sleep_ms: 1500 }, (result) => ({ done: result }));
      await new Promise((resolve) => setTimeout(resolve, 300));

      await expireLease(run.actorId);
      const swept = await sweep(db, clock(), { limit: 10 });
      expect(swept.recovered).toEqual([run.actorId]);
      const recovery = (await db.query<{ payload: any }>("SELECT payload FROM audit_events WHERE actor_id = $1 AND type = 'STATE_TRANSITION' ORDER BY chain_seq DESC LIMIT 1", [run.actorId])).rows[0]!;
      expect(recovery.payload).toMatchObject({ from: 'running', to: 'runnable', worker: 'paused', epoch: 2 });
      expect(recovery.payload.unfinished_calls).toEqual([{ call_id: expect.stringMatching(/^ses_/), tool: 'effects.record' }]);

      const [fresh] = await claimActors(db, clock(), { worker: 'fresh', leaseMs: 5000, limit: 1 });
      expect(fresh!.epoch).toBe(3);

      // The stale worker wakes: its in-flight call's result cannot become the step's checkpoint...
      await expect(inFlight).rejects.toMatchObject({ code: 'LEASE_LOST' });
      const completed = (await db.query<{ payload: { lease_lost?: boolean } }>("SELECT payload FROM audit_events WHERE actor_id = $1 AND type = 'TOOL_CALL_COMPLETED'", [run.actorId])).rows;
      expect(completed.map((row) => row.payload.lease_lost)).toEqual([true]);
      // ...and nothing else it tries commits.
      await expect(heartbeat(db, stale!, 5000)).rejects.toMatchObject({ code: 'LEASE_LOST' });
      const before = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events WHERE actor_id = $1', [run.actorId])).rows[0]!.n;
      await expect(staleContext.callTool(1, 'effects.record', { label: 'again' }, () => ({}))).rejects.toMatchObject({ code: 'LEASE_LOST' });
      await expect(staleContext.checkpoint(1, { step: 'one' }, {})).rejects.toMatchObject({ code: 'LEASE_LOST' });
      await expect(releaseLease(db, clock(), stale!, { to: 'completed', result: 'stale' })).rejects.toMatchObject({ code: 'LEASE_LOST' });
      // A refused write leaves a CAPABILITY_DENIED row at most: no call starts, no state moves.
      const after = (await db.query<{ type: string }>('SELECT type FROM audit_events WHERE actor_id = $1 ORDER BY chain_seq', [run.actorId])).rows;
      expect(after.slice(before).map((row) => row.type).filter((type) => type !== 'CAPABILITY_DENIED')).toEqual([]);
      expect(await latestCheckpoint(db, run.actorId)).toBeNull();

      // The new holder's writes go through, and a step is checkpointed once only.
      const { token: freshToken } = await runtime.deps.tokens.mint(fresh!.mintClaims as never);
      const freshContext = programContext(runtime.deps, runtime.syscall, { lease: fresh!, token: freshToken, signal: new AbortController().signal, resumeFrom: null });
      await freshContext.callTool(1, 'effects.record', { label: 'fresh' }, (result) => ({ done: result }));
      await expect(freshContext.checkpoint(1, { again: true }, {})).rejects.toMatchObject({ code: 'LEASE_LOST' });
      expect(await latestCheckpoint(db, run.actorId)).toEqual({ step: 1, state: { done: { label: 'fresh', length: 5 } } });
      await heartbeat(db, fresh!, 5000);
      await releaseLease(db, clock(), fresh!, { to: 'completed', result: { ok: true } });
      expect((await verifyStoredChains(db)).ok).toBe(true);
    });

    it('marks a queued actor whose token ran out as recoverable, not failed', async () => {
      const run = await startWorkflow(runtime.syscall, runtime.deps, runtime.config.workflows, { workflow: 'short-lived', trigger: 'manual' });
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect(await claimActors(db, clock(), { worker: 'a', leaseMs: 5000, limit: 10 })).toEqual([]);
      expect((await sweep(db, clock(), { limit: 10 })).expired).toEqual([run.actorId]);
      const last = (await db.query<{ type: string; payload: any }>('SELECT type, payload FROM audit_events WHERE actor_id = $1 ORDER BY chain_seq DESC LIMIT 1', [run.actorId])).rows[0]!;
      expect(last).toMatchObject({ type: 'TOKEN_EXPIRED_RECOVERABLE', payload: { from: 'runnable', to: 'token_expired' } });
      expect(last.payload.reason).toContain(`aosiq actors renew ${run.actorId}`);

      // An operator renews it: a new jti and lifetime, back in the queue, the old token dead.
      const renewed = await runtime.syscall.renew(run.actorId, 'alice', 'approval took all night');
      expect(renewed).toMatchObject({ from: 'token_expired', to: 'runnable' });
      const event = (await db.query<{ type: string; payload: any }>("SELECT type, payload FROM audit_events WHERE actor_id = $1 AND type = 'TOKEN_RENEWED'", [run.actorId])).rows[0]!;
      expect(event.payload).toMatchObject({ from: 'token_expired', to: 'runnable', reason: 'approval took all night' });
      expect(event.payload.jti).not.toBe(event.payload.old_jti);
      expect(JSON.stringify(event.payload)).not.toContain(renewed.token);
      await expect(runtime.syscall.callTool(run.token, 'effects.record', { label: 'old' })).rejects.toMatchObject({ code: expect.stringMatching(/TOKEN_EXPIRED|ACTOR_NOT_ALIVE/) });
      const [lease] = await claimActors(db, clock(), { worker: 'a', leaseMs: 5000, limit: 10 });
      expect(lease).toMatchObject({ actorId: run.actorId, tokenJti: event.payload.jti });
      await releaseLease(db, clock(), lease!, { to: 'completed', result: null });
      await expect(runtime.syscall.renew(run.actorId, 'alice', 'again')).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    });

    it('refreshes the token of a class with token_refresh at dispatch, within its max lifetime', async () => {
      const start = (workflow: string) => startWorkflow(runtime.syscall, runtime.deps, runtime.config.workflows, { workflow, trigger: 'manual' });
      const fresh = await start('refreshed');
      const capped = await start('capped-run');
      await new Promise((resolve) => setTimeout(resolve, 2200));
      // Neither is marked expired while queued: their class refreshes at dispatch.
      expect((await sweep(db, clock(), { limit: 10, refreshable: ['refreshing', 'capped'] })).expired).toEqual([]);
      const scheduler = await runtime.startScheduler({ cron: false });
      try {
        const state = async (id: string) => (await db.query<{ state: string }>('SELECT state FROM actors WHERE id = $1', [id])).rows[0]!.state;
        for (let i = 0; i < 100 && ((await state(fresh.actorId)) !== 'completed' || (await state(capped.actorId)) !== 'token_expired'); i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect([await state(fresh.actorId), await state(capped.actorId)]).toEqual(['completed', 'token_expired']);
      } finally {
        await scheduler.stop();
      }
      const renewal = (await db.query<{ principal: string; payload: any }>("SELECT principal, payload FROM audit_events WHERE actor_id = $1 AND type = 'TOKEN_RENEWED'", [fresh.actorId])).rows;
      expect(renewal).toEqual([{ principal: expect.stringMatching(/^worker:/), payload: expect.objectContaining({ reason: 'refreshed on dispatch (token_refresh)' }) }]);
      const end = (await db.query<{ type: string; payload: any }>('SELECT type, payload FROM audit_events WHERE actor_id = $1 ORDER BY chain_seq DESC LIMIT 1', [capped.actorId])).rows[0]!;
      expect(end).toMatchObject({ type: 'TOKEN_EXPIRED_RECOVERABLE', payload: { to: 'token_expired' } });
      expect(end.payload.reason).toContain('max_lifetime_seconds (1)');
    });

    it('suspends a run whose identical approval is still pending (renewed while it waited) instead of leaving it running', async () => {
      const run = await runtime.syscall.spawn({ className: 'brief', grants: [{ tool: 'effects.*' }], program: { kind: 'workflow', workflow: 'none', inputs: {}, trigger: 'api' } });
      const attempt = async () => {
        const [lease] = await claimActors(db, clock(), { worker: 'w', leaseMs: 5000, limit: 1, only: [run.actorId] });
        const { token } = await runtime.deps.tokens.mint(lease!.mintClaims as never);
        const context = programContext(runtime.deps, runtime.syscall, { lease: lease!, token, signal: new AbortController().signal, resumeFrom: null });
        const error = await context.callTool(1, 'effects.destroy', { target: 'x' }, () => ({})).catch((caught: unknown) => caught);
        expect(error).toMatchObject({ code: 'APPROVAL_REQUIRED' });
        await releaseLease(db, clock(), lease!, { to: 'waiting_approval', approvalId: String((error as { details: { approvalId: string } }).details.approvalId), reason: 'waits' });
        return (error as { details: { created: boolean } }).details.created;
      };
      expect(await attempt()).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect((await sweep(db, clock(), { limit: 10 })).expired).toContain(run.actorId);
      await runtime.syscall.renew(run.actorId, 'alice', 'still waiting');
      // The same call again: the request already pending is returned, and the actor must not stay running.
      expect(await attempt()).toBe(false);
      const actor = (await db.query<{ state: string; worker: string | null }>('SELECT state, worker FROM actors WHERE id = $1', [run.actorId])).rows[0]!;
      expect(actor).toEqual({ state: 'waiting_approval', worker: null });
      const last = (await db.query<{ payload: any }>("SELECT payload FROM audit_events WHERE actor_id = $1 AND type = 'STATE_TRANSITION' ORDER BY chain_seq DESC LIMIT 1", [run.actorId])).rows[0]!;
      expect(last.payload).toMatchObject({ from: 'running', to: 'waiting_approval', reason: 'waits' });
    });

    it('kills every live actor of a class, or of a session, with their descendants', async () => {
      const a = await runtime.syscall.spawn({ className: 'nightly', grants: [{ tool: 'effects.*' }] });
      const child = await runtime.syscall.spawnChild(a.token, 'nightly', [{ tool: 'effects.record' }]);
      const b = await runtime.syscall.spawn({ className: 'brief', grants: [{ tool: 'effects.*' }] });
      const killed = await runtime.syscall.killAll({ sessionId: a.sessionId }, 'alice', 'incident 42');
      expect(killed.sort()).toEqual([a.actorId, child.actorId].sort());
      const c = await runtime.syscall.spawn({ className: 'brief', grants: [{ tool: 'effects.*' }] });
      const byClass = await runtime.syscall.killAll({ className: 'brief' }, 'alice', 'provider incident');
      expect(byClass).toEqual(expect.arrayContaining([b.actorId, c.actorId]));
      const reasons = (await db.query<{ payload: any }>("SELECT payload FROM audit_events WHERE actor_id = $1 AND type = 'STATE_TRANSITION'", [c.actorId])).rows;
      expect(reasons.at(-1)!.payload).toMatchObject({ to: 'killed', reason: 'class brief was killed: provider incident' });
      await expect(runtime.syscall.callTool(c.token, 'effects.record', { label: 'late' })).rejects.toMatchObject({ code: 'ACTOR_NOT_ALIVE' });
      await expect(runtime.syscall.killAll({ className: 'nope' }, 'alice', 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
}
