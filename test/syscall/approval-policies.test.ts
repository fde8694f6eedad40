/**
 * Approval policies: quorum of distinct approvers, a list of who may approve, separation of
 * duties, and expiry (of a pending approval, and of one approved but never used).
 */
import { expect, it } from 'vitest';
import { type ApprovalPolicies, decideApproval, findApproval, listVotes } from '../../src/approvals/index.js';
import type { Db } from '../../src/store/db.js';
import { actorState, createTestSyscall, rejection } from '../support/runtime.js';
import { describeEachStore } from '../support/stores.js';

const DESTROY = [{ tool: 'test.destroy' }];

async function eventsOf(db: Db, sessionId: string, type: string): Promise<{ principal: string; payload: Record<string, unknown> }[]> {
  const { rows } = await db.query<{ principal: string; payload: Record<string, unknown> }>(
    'SELECT principal, payload FROM audit_events WHERE session_id = $1 AND type = $2 ORDER BY chain_seq',
    [sessionId, type],
  );
  return rows;
}

describeEachStore('approval policies', (store) => {
  async function setUp(policies: ApprovalPolicies | undefined) {
    const { db } = store();
    const harness = await createTestSyscall(db, { approvalPolicies: policies });
    const actor = await harness.syscall.spawn({ className: 'worker', grants: DESTROY, principal: 'key:requester' });
    const call = (args: unknown) => harness.syscall.callTool(actor.token, 'test.destroy', args);
    const request = async (args: unknown) => (await rejection(call(args), 'APPROVAL_REQUIRED')).details.approvalId as string;
    const vote = (id: string, operator: string, decision: 'approve' | 'deny' = 'approve') =>
      decideApproval(db, harness.clock, { id, decision, operator, reason: `${operator} says ${decision}`, credential: `cred-${operator}` });
    return { db, ...harness, actor, call, request, vote };
  }

  it('runs a call only after 2 of its 3 named approvers agree, each counted once', async () => {
    const policies = { default: {}, classes: {}, tools: { 'test.destroy': { quorum: 2, approvers: ['key:alice', 'key:bob', 'key:carol'] } } };
    const { db, actor, call, request, vote, counters } = await setUp(policies);
    const args = { target: 'prod' };
    const id = await request(args);
    expect(await findApproval(db, id)).toMatchObject({ quorum: 2, approvers: ['key:alice', 'key:bob', 'key:carol'] });

    await rejection(vote(id, 'key:mallory'), 'APPROVER_NOT_ALLOWED');
    expect(await vote(id, 'key:alice')).toMatchObject({ status: 'pending' });
    expect(await eventsOf(db, actor.sessionId, 'HUMAN_APPROVAL_VOTE')).toMatchObject([{ principal: 'key:alice', payload: { approvals: 1, quorum: 2 } }]);
    await rejection(vote(id, 'key:alice'), 'CONFLICT');
    // One vote is not enough: the call still waits.
    expect((await rejection(call(args), 'APPROVAL_REQUIRED')).details.approvalId).toBe(id);
    expect(await actorState(db, actor.actorId)).toBe('waiting_approval');

    expect(await vote(id, 'key:bob')).toMatchObject({ status: 'approved', decided_by: 'key:alice, key:bob' });
    expect(await eventsOf(db, actor.sessionId, 'HUMAN_APPROVAL_GRANTED')).toMatchObject([
      { principal: 'key:bob', payload: { approval_id: id, approvers: ['key:alice', 'key:bob'] } },
    ]);
    expect((await listVotes(db, id)).map((v) => [v.approver, v.credential])).toEqual([
      ['key:alice', 'cred-key:alice'],
      ['key:bob', 'cred-key:bob'],
    ]);
    expect(await actorState(db, actor.actorId)).toBe('runnable');
    await call(args);
    expect(counters.destroy).toBe(1);
    await rejection(vote(id, 'key:carol'), 'APPROVAL_NOT_PENDING');
  });

  it('lets one eligible denial decide, even under a quorum', async () => {
    const { request, vote, call } = await setUp({ default: { quorum: 2 }, classes: {}, tools: {} });
    const id = await request({ target: 't1' });
    await vote(id, 'key:alice');
    expect(await vote(id, 'key:bob', 'deny')).toMatchObject({ status: 'denied', decided_by: 'key:bob' });
    await rejection(call({ target: 't1' }), 'APPROVAL_DENIED');
  });

  it('keeps the principal that caused the request from approving it (separation of duties)', async () => {
    const { db, request, vote, actor } = await setUp(undefined);
    const id = await request({ target: 't2' });
    const refused = await rejection(vote(id, 'key:requester'), 'APPROVER_NOT_ALLOWED');
    expect(refused.message).toMatch(/separation of duties: key:requester caused this request \(it started the requesting actor\)/);
    expect((await findApproval(db, id)).status).toBe('pending');
    expect(await eventsOf(db, actor.sessionId, 'HUMAN_APPROVAL_VOTE')).toHaveLength(0);
    expect(await vote(id, 'key:alice')).toMatchObject({ status: 'approved' });
  });

  it('allows self-approval only where the policy turns separation of duties off', async () => {
    const { request, vote } = await setUp({ default: {}, classes: { worker: { separation_of_duties: false } }, tools: {} });
    expect(await vote(await request({ target: 't3' }), 'key:requester')).toMatchObject({ status: 'approved' });
  });

  it('refuses an expired approval, whether still pending or approved but unused, and tells the actor once', async () => {
    const { db, clock, request, vote, call, actor, counters } = await setUp({ default: { expires_after_seconds: 60 }, classes: {}, tools: {} });
    const pending = await request({ target: 't4' });
    expect((await findApproval(db, pending)).expires_at).toEqual(new Date(clock.now().getTime() + 60_000));
    clock.advance(61_000);
    const late = await rejection(vote(pending, 'key:alice'), 'APPROVAL_EXPIRED');
    expect(late.message).toMatch(/expired at/);
    expect((await findApproval(db, pending)).status).toBe('expired');
    expect(await actorState(db, actor.actorId)).toBe('runnable');
    const told = await rejection(call({ target: 't4' }), 'APPROVAL_EXPIRED');
    expect(told.details.approvalId).toBe(pending);

    const approved = await request({ target: 't4' });
    expect(approved).not.toBe(pending);
    await vote(approved, 'key:alice');
    clock.advance(61_000);
    await rejection(call({ target: 't4' }), 'APPROVAL_EXPIRED');
    expect(counters.destroy).toBe(0);
    expect((await findApproval(db, approved)).status).toBe('expired');
    expect(await eventsOf(db, actor.sessionId, 'APPROVAL_EXPIRED')).toHaveLength(2);
    expect(await request({ target: 't4' })).not.toBe(approved);
  });
});
