/**
 * Workflows run by the scheduler in this process, on both stores: templated steps, conditions,
 * retries, approvals that suspend the run, recovery from the last checkpoint, and the audit
 * story of each.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStoredChains } from '../../src/audit/index.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { startWorkflow } from '../../src/workflows/index.js';
import { createScratchDatabase } from '../support/scratch-database.js';
import { storeKinds } from '../support/stores.js';

const MODULE = path.resolve('test/fixtures/tools/effects.mjs');

const CONFIG = `version: 1
actor_classes:
  nightly:
    kind: job
    capabilities: [{ tool: effects.* }, { tool: fs.list }]
tools:
  roots: { workspace: ./workspace }
  modules: [${MODULE}]
scheduler: { concurrency: 4, lease_ms: 2000, sweep_ms: 200, poll_ms: 100 }
workflows:
  report:
    class: nightly
    inputs:
      label: { description: what to record }
      mode: { default: full }
    steps:
      - id: first
        tool: effects.record
        args: { label: "{{ inputs.label }}" }
      - id: only_when_short
        tool: effects.record
        when: { value: "{{ steps.first.result.length }}", equals: 2 }
        args: { label: "short {{ steps.first.result.label }}" }
      - id: flaky
        tool: effects.flaky
        args: { fails: 2 }
        retries: 3
        backoff_ms: 10
      - id: last
        tool: effects.record
        args: { label: "after attempt {{ steps.flaky.result.attempt }} in {{ inputs.mode }} mode" }
  hopeless:
    class: nightly
    steps:
      - id: boom
        tool: effects.flaky
        args: { fails: 5 }
        retries: 1
        backoff_ms: 10
  sleepy:
    class: nightly
    steps:
      - { id: nap, tool: effects.record, args: { label: nap, sleep_ms: 8000 }, timeout_ms: 60000 }
  guarded:
    class: nightly
    steps:
      - id: look
        tool: effects.record
        args: { label: look }
      - id: destroy
        tool: effects.destroy
        args: { target: "{{ steps.look.result.label }}" }
`;

interface Effect {
  kind: string;
  key: string;
  actor: string;
  label?: string;
  attempt?: number;
}

for (const kind of storeKinds()) {
  describe(`workflows under the scheduler [${kind}]`, () => {
    let runtime: Runtime;
    let dir: string;
    let drop = async () => {};
    let effectsFile: string;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-workflows-'));
      effectsFile = path.join(dir, 'effects.jsonl');
      process.env.AOS_TEST_EFFECTS = effectsFile;
      fs.writeFileSync(path.join(dir, 'aosiq.yaml'), CONFIG);
      fs.mkdirSync(path.join(dir, 'workspace'));
      let databaseUrl: string | undefined;
      if (kind === 'postgres') {
        const scratch = await createScratchDatabase(process.env.AOS_TEST_DATABASE_URL!, 'aosiq_workflows');
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

    const effects = (actor: string): Effect[] =>
      fs.existsSync(effectsFile)
        ? fs.readFileSync(effectsFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Effect).filter((effect) => effect.actor === actor)
        : [];
    const start = (workflow: string, inputs = {}) =>
      startWorkflow(runtime.syscall, runtime.deps, runtime.config.workflows, { workflow, inputs, trigger: 'manual', principal: 'tester' });
    const actorRow = async (id: string) =>
      (await runtime.db.query<{ state: string; result: any; lease_epoch: number }>('SELECT state, result, lease_epoch FROM actors WHERE id = $1', [id])).rows[0]!;
    const events = async (actor: string) =>
      (await runtime.db.query<{ type: string; payload: any }>('SELECT type, payload FROM audit_events WHERE actor_id = $1 ORDER BY session_id, chain_seq', [actor])).rows;
    async function until(id: string, states: string[]) {
      for (let i = 0; i < 200; i++) {
        const row = await actorRow(id);
        if (states.includes(row.state)) return row;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`actor ${id} never reached ${states.join('/')}: ${(await actorRow(id)).state}`);
    }

    it('runs the steps in order with templates, a condition, and retries of a failing tool', async () => {
      const scheduler = await runtime.startScheduler({ cron: false });
      try {
        const run = await start('report', { label: 'hi' });
        const done = await until(run.actorId, ['completed', 'failed']);
        expect(done.state).toBe('completed');
        expect(done.result.steps).toMatchObject({
          first: { status: 'ok', result: { label: 'hi', length: 2 } },
          only_when_short: { status: 'ok', result: { label: 'short hi' } },
          flaky: { status: 'ok', result: { attempt: 3 } },
          last: { status: 'ok', result: { label: 'after attempt 3 in full mode' } },
        });
        const seen = effects(run.actorId);
        // Every attempt of one step sees the same idempotency key: <actor>:<step>.
        expect(seen.filter((effect) => effect.kind === 'flaky').map((effect) => effect.key)).toEqual(Array(3).fill(`${run.actorId}:3`));
        const types = (await events(run.actorId)).map((event) => event.type);
        expect(types.filter((type) => type === 'TOOL_CALL_COMPLETED')).toHaveLength(4);
        expect(types.filter((type) => type === 'TOOL_CALL_FAILED')).toHaveLength(2);
        const { rows } = await runtime.db.query<{ step: number }>('SELECT step FROM actor_checkpoints WHERE actor_id = $1 ORDER BY step', [run.actorId]);
        expect(rows.map((row) => row.step)).toEqual([1, 2, 3, 4]);

        const skipped = await start('report', { label: 'longer', mode: 'quick' });
        const other = await until(skipped.actorId, ['completed', 'failed']);
        expect(other.result.steps.only_when_short).toEqual({ status: 'skipped', result: null });
        expect((await events(skipped.actorId)).find((event) => event.type === 'CHECKPOINT_WRITTEN')?.payload).toMatchObject({ step: 'only_when_short', status: 'skipped' });
      } finally {
        await scheduler.stop();
      }
      expect((await verifyStoredChains(runtime.db)).ok).toBe(true);
    });

    it('fails the run when a step still fails after its retries, saying which and why', async () => {
      const scheduler = await runtime.startScheduler({ cron: false });
      try {
        const run = await start('hopeless');
        const done = await until(run.actorId, ['completed', 'failed']);
        expect(done.state).toBe('failed');
        expect(done.result).toMatchObject({ failed_step: 'boom' });
        const last = (await events(run.actorId)).at(-1)!;
        expect(last).toMatchObject({ type: 'STATE_TRANSITION', payload: { from: 'running', to: 'failed' } });
        expect(last.payload.reason).toContain('step boom failed: effects.flaky failed: flaky attempt 2 of 5 failing');
      } finally {
        await scheduler.stop();
      }
    });

    it('names a bad input or an unknown workflow before anything is spawned', async () => {
      await expect(start('report', {})).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('inputs.label') });
      await expect(start('report', { label: 'x', colour: 'red' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('inputs.colour') });
      await expect(start('nope')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('workflows: report, hopeless, sleepy, guarded') });
    });

    it('cuts the in-flight call of a run that is killed, and runs nothing of it afterwards', async () => {
      const scheduler = await runtime.startScheduler({ cron: false });
      try {
        const run = await start('sleepy');
        for (let i = 0; i < 100 && !(await events(run.actorId)).some((event) => event.type === 'TOOL_CALL_STARTED'); i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const killedAt = Date.now();
        await runtime.syscall.kill(run.actorId, 'alice', 'runaway');
        for (let i = 0; i < 100 && scheduler.workers[0]!.active > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
        // The heartbeat (every lease/3) saw the kill and aborted the tool long before its 8 s nap.
        expect(scheduler.workers[0]!.active).toBe(0);
        expect(Date.now() - killedAt).toBeLessThan(5000);
        expect((await events(run.actorId)).map((event) => event.type)).toContain('TOOL_CALL_FAILED');
        expect(effects(run.actorId)).toEqual([]);
        expect((await actorRow(run.actorId)).state).toBe('killed');
      } finally {
        await scheduler.stop();
      }
    });

    it('suspends on an irreversible step without holding a worker, and runs it once after approval', async () => {
      const scheduler = await runtime.startScheduler({ cron: false });
      try {
        const run = await start('guarded');
        const waiting = await until(run.actorId, ['waiting_approval', 'failed', 'completed']);
        expect(waiting.state).toBe('waiting_approval');
        for (let i = 0; i < 100 && scheduler.workers[0]!.active > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(scheduler.workers[0]!.active).toBe(0);
        expect(effects(run.actorId).map((effect) => effect.kind)).toEqual(['record']);
        const approval = (await events(run.actorId)).find((event) => event.type === 'HUMAN_APPROVAL_REQUESTED')!;
        await runtime.syscall.decide(approval.payload.approval_id, 'approve', 'alice', 'looks right');
        const done = await until(run.actorId, ['completed', 'failed']);
        expect(done.state).toBe('completed');
        expect(effects(run.actorId).map((effect) => effect.kind)).toEqual(['record', 'destroy']);
        const transitions = (await events(run.actorId)).filter((event) => event.type === 'STATE_TRANSITION').map((event) => `${event.payload.from}→${event.payload.to}`);
        expect(transitions).toEqual(['runnable→running', 'running→waiting_approval', 'waiting_approval→runnable', 'runnable→running', 'running→completed']);
        expect(effects(run.actorId).find((effect) => effect.kind === 'destroy')!.key).toBe(`${run.actorId}:2`);
      } finally {
        await scheduler.stop();
      }
    });
  });
}
