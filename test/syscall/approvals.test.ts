import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { expect, it } from 'vitest';
import { decideApproval, findApproval } from '../../src/approvals/index.js';
import { verifyStoredChains } from '../../src/audit/index.js';
import type { Db } from '../../src/store/db.js';
import { actorState, auditEvents, createTestSyscall, rejection } from '../support/runtime.js';
import { describeEachStore } from '../support/stores.js';

const DESTROY = [{ tool: 'test.destroy' }];

async function approvalsOf(db: Db, actorId: string) {
  const found = await db.query<{ id: string; status: string }>(
    'SELECT id, status FROM approvals WHERE actor_id = $1 ORDER BY requested_at, id',
    [actorId],
  );
  return found.rows;
}

describeEachStore('syscall approvals', (store) => {
  async function setUp() {
    const { db } = store();
    const harness = await createTestSyscall(db);
    const actor = await harness.syscall.spawn({ className: 'worker', grants: DESTROY });
    /** Calls test.destroy, expecting a pause; returns the approval id it names. */
    const paused = async (args: unknown, token = actor.token) => {
      const error = await rejection(
        harness.syscall.callTool(token, 'test.destroy', args),
        'APPROVAL_REQUIRED',
      );
      expect(error.details.approvalId).toMatch(/^apr_/);
      return error.details.approvalId as string;
    };
    const approve = (id: string) =>
      decideApproval(db, harness.clock, { id, decision: 'approve', operator: 'alice' });
    return { db, ...harness, actor, paused, approve };
  }

  it('pauses an irreversible call for review, then runs the approved call exactly once', async () => {
    const { db, syscall, clock, counters, actor, paused } = await setUp();
    const args = { target: 'prod-db' };

    const error = await rejection(syscall.callTool(actor.token, 'test.destroy', args), 'APPROVAL_REQUIRED');
    const id = error.details.approvalId as string;
    expect(error.details).toMatchObject({ tool: 'test.destroy', created: true });
    expect(counters.destroy).toBe(0);
    const filed = await findApproval(db, id);
    expect(filed).toMatchObject({
      session_id: actor.sessionId,
      actor_id: actor.actorId,
      tool: 'test.destroy',
      args,
      args_hash: createHash('sha256').update(canonicalize(args)!).digest('hex'),
      blast_radius: 'critical',
      grant_used: { tool: 'test.destroy' },
      status: 'pending',
    });
    expect(await actorState(db, actor.actorId)).toBe('waiting_approval');
    expect(await auditEvents(db, actor.sessionId, 'HUMAN_APPROVAL_REQUESTED')).toMatchObject([
      {
        actor_id: actor.actorId,
        payload: { approval_id: id, args_hash: filed.args_hash, blast_radius: 'critical' },
      },
    ]);
    expect(await auditEvents(db, actor.sessionId, 'TOOL_CALL_STARTED')).toHaveLength(0);

    // Asking again while pending files nothing new.
    expect(await paused(args)).toBe(id);
    expect(await approvalsOf(db, actor.actorId)).toHaveLength(1);
    expect(await auditEvents(db, actor.sessionId, 'HUMAN_APPROVAL_REQUESTED')).toHaveLength(1);

    const decided = await decideApproval(db, clock, {
      id,
      decision: 'approve',
      operator: 'alice',
      reason: 'OPS-12',
    });
    expect(decided).toMatchObject({ status: 'approved', decided_by: 'alice' });
    expect(await auditEvents(db, actor.sessionId, 'HUMAN_APPROVAL_GRANTED')).toMatchObject([
      { principal: 'alice', actor_id: actor.actorId, payload: { approval_id: id, reason: 'OPS-12' } },
    ]);
    expect(await actorState(db, actor.actorId)).toBe('runnable');

    const ran = await syscall.callTool(actor.token, 'test.destroy', args);
    expect(ran).toMatchObject({ approvalId: id, result: { destroyed: 'prod-db' } });
    expect(counters.destroy).toBe(1);
    expect(await auditEvents(db, actor.sessionId, 'APPROVAL_CONSUMED')).toMatchObject([
      { actor_id: actor.actorId, payload: { approval_id: id, tool: 'test.destroy' } },
    ]);
    expect(await auditEvents(db, actor.sessionId, 'TOOL_CALL_STARTED')).toMatchObject([
      { payload: { approval_id: id, reversible: false } },
    ]);
    const consumed = await findApproval(db, id);
    expect(consumed.status).toBe('consumed');
    expect(consumed.consumed_at).not.toBeNull();

    // Single use: the next identical call needs a new approval.
    const next = await paused(args);
    expect(next).not.toBe(id);
    expect(counters.destroy).toBe(1);
    await rejection(
      decideApproval(db, clock, { id, decision: 'approve', operator: 'bob' }),
      'APPROVAL_NOT_PENDING',
    );
    expect((await verifyStoredChains(db, { sessionId: actor.sessionId })).ok).toBe(true);
  });

  it('binds an approval to the exact arguments it was granted for', async () => {
    const { db, syscall, counters, actor, paused, approve } = await setUp();
    const id = await paused({ target: 'staging' });
    await approve(id);

    const other = await paused({ target: 'prod' });
    expect(other).not.toBe(id);
    expect(counters.destroy).toBe(0);
    expect((await findApproval(db, id)).status).toBe('approved');
    expect((await findApproval(db, other)).status).toBe('pending');

    await syscall.callTool(actor.token, 'test.destroy', { target: 'staging' });
    expect(counters.destroy).toBe(1);
  });

  it('leaves a denied call unrun and asks anew on retry', async () => {
    const { db, syscall, clock, counters, actor, paused } = await setUp();
    const args = { target: 'backups' };
    const id = await paused(args);

    const denied = await decideApproval(db, clock, { id, decision: 'deny', operator: 'bob', reason: 'no' });
    expect(denied).toMatchObject({ status: 'denied', decided_by: 'bob' });
    expect(await auditEvents(db, actor.sessionId, 'HUMAN_APPROVAL_DENIED')).toMatchObject([
      { principal: 'bob', payload: { approval_id: id } },
    ]);
    expect(await auditEvents(db, actor.sessionId, 'HUMAN_APPROVAL_GRANTED')).toHaveLength(0);
    expect(await actorState(db, actor.actorId)).toBe('runnable');

    // The actor is told of the denial once, with who denied it and why; asking again files anew.
    const told = await rejection(syscall.callTool(actor.token, 'test.destroy', args), 'APPROVAL_DENIED');
    expect(told.message).toMatch(/was denied by bob: no/);
    expect(told.details).toMatchObject({ approvalId: id, deniedBy: 'bob', reason: 'no' });
    const retry = await paused(args);
    expect(retry).not.toBe(id);
    expect(counters.destroy).toBe(0);

    const twice = await rejection(
      decideApproval(db, clock, { id, decision: 'approve', operator: 'alice' }),
      'APPROVAL_NOT_PENDING',
    );
    expect(twice.message).toContain('denied');
    expect((await findApproval(db, id)).status).toBe('denied');
    expect(await auditEvents(db, actor.sessionId, 'HUMAN_APPROVAL_GRANTED')).toHaveLength(0);
    await rejection(
      decideApproval(db, clock, { id: retry, decision: 'approve', operator: '  ' }),
      'INVALID_INPUT',
    );
    expect((await findApproval(db, retry)).status).toBe('pending');
  });

  it("does not let one actor's approval authorise another actor's identical call", async () => {
    const { db, syscall, counters, paused, approve } = await setUp();
    const parent = await syscall.spawn({ className: 'worker', grants: DESTROY });
    const first = await syscall.spawnChild(parent.token, 'worker', DESTROY);
    const sibling = await syscall.spawnChild(parent.token, 'worker', DESTROY);
    const stranger = await syscall.spawn({ className: 'worker', grants: DESTROY });
    const args = { target: 'shared-bucket' };

    const id = await paused(args, first.token);
    await approve(id);
    for (const other of [sibling, parent, stranger]) {
      expect(await paused(args, other.token)).not.toBe(id);
      expect(await actorState(db, other.actorId)).toBe('waiting_approval');
    }
    expect(counters.destroy).toBe(0);
    expect((await findApproval(db, id)).status).toBe('approved');

    await syscall.callTool(first.token, 'test.destroy', args);
    expect(counters.destroy).toBe(1);
  });

  it('does not run an approved call for an actor killed since', async () => {
    const { db, syscall, counters, actor, paused, approve } = await setUp();
    const id = await paused({ target: 'logs' });
    await approve(id);
    await syscall.kill(actor.actorId, 'alice', 'changed my mind');

    await rejection(syscall.callTool(actor.token, 'test.destroy', { target: 'logs' }), 'ACTOR_NOT_ALIVE');
    expect(counters.destroy).toBe(0);
    expect((await findApproval(db, id)).status).toBe('approved');
    expect(await auditEvents(db, actor.sessionId, 'APPROVAL_CONSUMED')).toHaveLength(0);
  });

  it('shows credentials to approvers and the audit log only as digests, while the hash binds the real value', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db);
    const actor = await syscall.spawn({ className: 'worker', grants: [{ tool: 'test.destroy' }] });
    const args = { target: 'db-1', api_key: 'sk-live-very-secret' };
    const error = await rejection(syscall.callTool(actor.token, 'test.destroy', args), 'APPROVAL_REQUIRED');
    const rows = await db.query<{ args: unknown; args_hash: string }>(
      'SELECT args, args_hash FROM approvals WHERE id = $1',
      [error.details.approvalId],
    );
    expect(JSON.stringify(rows.rows[0]?.args)).not.toContain('sk-live-very-secret');
    expect(rows.rows[0]?.args).toMatchObject({
      target: 'db-1',
      api_key: expect.stringMatching(/^\[redacted sha256:[0-9a-f]{16}\]$/),
    });
    expect(rows.rows[0]?.args_hash).toBe(createHash('sha256').update(canonicalize(args)!).digest('hex'));
    const audit = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE payload::text LIKE '%sk-live-very-secret%'",
    );
    expect(audit.rows[0]?.n).toBe(0);
  });
});
