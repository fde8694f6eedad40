import { expect, it } from 'vitest';
import { decideApproval, findApproval } from '../../src/approvals/index.js';
import { verifyStoredChains } from '../../src/audit/index.js';
import { AosError } from '../../src/errors.js';
import { auditEvents, createTestSyscall, rejection } from '../support/runtime.js';
import { describeEachStore } from '../support/stores.js';

describeEachStore('syscall under concurrency', (store) => {
  it('runs an approved irreversible call once when 64 identical calls race for the approval', async () => {
    const { db } = store();
    const { syscall, clock, counters } = await createTestSyscall(db);
    const actor = await syscall.spawn({ className: 'worker', grants: [{ tool: 'test.destroy' }] });
    const args = { target: 'prod-db' };
    const paused = await rejection(syscall.callTool(actor.token, 'test.destroy', args), 'APPROVAL_REQUIRED');
    const id = paused.details.approvalId as string;
    await decideApproval(db, clock, { id, decision: 'approve', operator: 'alice' });

    const settled = await Promise.allSettled(
      Array.from({ length: 64 }, () => syscall.callTool(actor.token, 'test.destroy', args)),
    );
    const fulfilled = settled.filter((outcome) => outcome.status === 'fulfilled');
    const rejected = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as AosError] : []));
    expect(fulfilled).toHaveLength(1);
    expect(counters.destroy).toBe(1);
    expect(rejected).toHaveLength(63);
    for (const reason of rejected) expect(reason).toBeInstanceOf(AosError);
    expect(new Set(rejected.map((reason: AosError) => reason.code))).toEqual(new Set(['APPROVAL_REQUIRED']));
    // The losers all wait on one fresh review row, never on the consumed one.
    const fresh = new Set(rejected.map((reason: AosError) => reason.details.approvalId));
    expect(fresh.size).toBe(1);
    expect(fresh.has(id)).toBe(false);

    expect(await auditEvents(db, actor.sessionId, 'APPROVAL_CONSUMED')).toHaveLength(1);
    expect(await auditEvents(db, actor.sessionId, 'TOOL_CALL_STARTED')).toHaveLength(1);
    expect((await findApproval(db, id)).status).toBe('consumed');
    expect((await verifyStoredChains(db, { sessionId: actor.sessionId })).ok).toBe(true);
  });

  it('keeps 64 sessions making concurrent calls each on an unbroken chain', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db);
    const actors = await Promise.all(
      Array.from({ length: 64 }, () =>
        syscall.spawn({ className: 'worker', grants: [{ tool: 'test.noop' }] }),
      ),
    );
    const outcomes = await Promise.all(
      actors.flatMap((actor) =>
        Array.from({ length: 5 }, () => syscall.callTool(actor.token, 'test.noop', {})),
      ),
    );
    expect(new Set(outcomes.map((outcome) => outcome.callId)).size).toBe(64 * 5);

    for (const actor of actors) {
      const events = await auditEvents(db, actor.sessionId);
      expect(events.map((event) => event.chain_seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
      const count = (type: string) => events.filter((event) => event.type === type).length;
      expect([count('ACTOR_SPAWNED'), count('TOOL_CALL_STARTED'), count('TOOL_CALL_COMPLETED')]).toEqual([
        1, 5, 5,
      ]);
      // Each completion names a started row of its own session.
      const started = events.filter((event) => event.type === 'TOOL_CALL_STARTED');
      const completedIds = events
        .filter((event) => event.type === 'TOOL_CALL_COMPLETED')
        .map((event) => event.payload.call_id)
        .sort();
      expect(completedIds).toEqual(started.map((event) => `${actor.sessionId}:${event.chain_seq}`).sort());
      expect((await verifyStoredChains(db, { sessionId: actor.sessionId })).ok).toBe(true);
    }
    expect((await verifyStoredChains(db)).ok).toBe(true);
  });
});
