import { expect, it } from 'vitest';
import { verifyStoredChains } from '../../src/audit/index.js';
import { actorState, auditEvents, createTestSyscall, rejection } from '../support/runtime.js';
import { describeEachStore } from '../support/stores.js';

describeEachStore('syscall kill', (store) => {
  it('revokes a killed actor at once although its token still verifies', async () => {
    const { db } = store();
    const { syscall, issuer, counters } = await createTestSyscall(db);
    const actor = await syscall.spawn({ className: 'worker', grants: [{ tool: 'test.spy' }] });
    await syscall.callTool(actor.token, 'test.spy', {});
    expect(counters.spyCalls).toHaveLength(1);

    expect(await syscall.kill(actor.actorId, 'alice', 'runaway loop')).toEqual([actor.actorId]);
    expect(await actorState(db, actor.actorId)).toBe('killed');
    expect(await auditEvents(db, actor.sessionId, 'STATE_TRANSITION')).toMatchObject([
      {
        actor_id: actor.actorId,
        principal: 'alice',
        payload: { from: 'runnable', to: 'killed', reason: 'runaway loop' },
      },
    ]);

    // The signature is still good: only the actor row says no.
    await expect(issuer.verify(actor.token)).resolves.toMatchObject({ sub: actor.actorId });
    const error = await rejection(syscall.callTool(actor.token, 'test.spy', {}), 'ACTOR_NOT_ALIVE');
    expect(error.message).toContain('killed');
    expect(counters.spyCalls).toHaveLength(1);
    expect(await auditEvents(db, actor.sessionId, 'CAPABILITY_DENIED')).toMatchObject([
      {
        actor_id: actor.actorId,
        payload: { operation: 'call_tool', tool: 'test.spy', code: 'ACTOR_NOT_ALIVE' },
      },
    ]);
    expect(await auditEvents(db, actor.sessionId, 'TOOL_CALL_STARTED')).toHaveLength(1);
    expect((await verifyStoredChains(db, { sessionId: actor.sessionId })).ok).toBe(true);
  });

  it('kills every descendant with its ancestor, so none of them can call or spawn', async () => {
    const { db } = store();
    const { syscall, counters } = await createTestSyscall(db);
    const grants = [{ tool: 'test.spy' }];
    const root = await syscall.spawn({ className: 'worker', grants });
    const child = await syscall.spawnChild(root.token, 'worker', grants);
    const grandchild = await syscall.spawnChild(child.token, 'worker', grants);
    const bystander = await syscall.spawn({ className: 'worker', grants });

    const killed = await syscall.kill(root.actorId, 'alice', 'compromised');
    expect(new Set(killed)).toEqual(new Set([root.actorId, child.actorId, grandchild.actorId]));
    for (const actor of [root, child, grandchild]) {
      expect(await actorState(db, actor.actorId)).toBe('killed');
      await rejection(syscall.callTool(actor.token, 'test.spy', {}), 'ACTOR_NOT_ALIVE');
    }
    expect(counters.spyCalls).toHaveLength(0);

    const transitions = await auditEvents(db, root.sessionId, 'STATE_TRANSITION');
    expect(transitions).toHaveLength(3);
    expect(transitions.find((event) => event.actor_id === child.actorId)?.payload.reason).toBe(
      `ancestor ${root.actorId} was killed`,
    );
    expect(await auditEvents(db, root.sessionId, 'CAPABILITY_DENIED')).toHaveLength(3);

    await rejection(syscall.spawnChild(child.token, 'worker', grants), 'ACTOR_NOT_ALIVE');
    const actors = await db.query('SELECT 1 FROM actors WHERE session_id = $1', [root.sessionId]);
    expect(actors.rowCount).toBe(3);

    expect(await actorState(db, bystander.actorId)).toBe('runnable');
    await syscall.callTool(bystander.token, 'test.spy', {});
    expect(counters.spyCalls).toHaveLength(1);
  });

  it('refuses to kill an actor twice and an actor that does not exist', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db);
    const actor = await syscall.spawn({ className: 'worker', grants: [{ tool: 'test.noop' }] });
    await syscall.kill(actor.actorId, 'alice', 'first');
    const error = await rejection(syscall.kill(actor.actorId, 'alice', 'second'), 'INVALID_TRANSITION');
    expect(error.message).toContain('already killed');
    expect(await auditEvents(db, actor.sessionId, 'STATE_TRANSITION')).toHaveLength(1);
    await rejection(syscall.kill('act_missing', 'alice', 'typo'), 'NOT_FOUND');
  });
});
