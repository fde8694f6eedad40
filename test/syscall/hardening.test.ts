import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { expect, it } from 'vitest';
import { auditEvents, createTestSyscall, rejection } from '../support/runtime.js';
import { describeEachStore } from '../support/stores.js';

describeEachStore('syscall hardening', (store) => {
  it('answers a killed actor as dead, not with why its call would have been refused', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db);
    const actor = await syscall.spawn({ className: 'reader', grants: [{ tool: 'test.echo' }] });
    await syscall.kill(actor.actorId, 'ops', 'test');
    const error = await rejection(syscall.callTool(actor.token, 'test.echo', { text: 'bad prefix' }), 'ACTOR_NOT_ALIVE');
    expect(error.message).not.toContain('prefix');
    const denied = await auditEvents(db, actor.sessionId, 'CAPABILITY_DENIED');
    expect(denied.at(-1)?.payload).toMatchObject({ code: 'ACTOR_NOT_ALIVE' });
  });

  it('records a result that is not JSON as a failed call', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db);
    const actor = await syscall.spawn({ className: 'worker', grants: [{ tool: 'test.date' }] });
    await rejection(syscall.callTool(actor.token, 'test.date', {}), 'INVALID_INPUT');
    const failed = await auditEvents(db, actor.sessionId, 'TOOL_CALL_FAILED');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.payload).toMatchObject({ tool: 'test.date', code: 'INVALID_INPUT' });
  });

  it('binds an approval to the arguments that will run, defaults included, and shows them', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db);
    const actor = await syscall.spawn({ className: 'worker', grants: [{ tool: 'test.purge' }] });
    const error = await rejection(syscall.callTool(actor.token, 'test.purge', { target: 't1' }), 'APPROVAL_REQUIRED');
    const rows = await db.query<{ args: unknown; args_hash: string }>('SELECT args, args_hash FROM approvals WHERE id = $1', [
      error.details.approvalId,
    ]);
    expect(rows.rows[0]?.args).toEqual({ target: 't1', mode: 'soft' });
    const expected = createHash('sha256').update(canonicalize({ target: 't1', mode: 'soft' })!).digest('hex');
    expect(rows.rows[0]?.args_hash).toBe(expected);
  });

  it('never writes a credential a caller sent into a denial reason', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db);
    const actor = await syscall.spawn({
      className: 'worker',
      grants: [{ tool: 'test.destroy', constraints: { api_key: [{ eq: 'the-right-key' }] } }],
    });
    const error = await rejection(
      syscall.callTool(actor.token, 'test.destroy', { target: 'x', api_key: 'sk-wrong-but-real' }),
      'CAPABILITY_DENIED',
    );
    expect(error.message).not.toContain('sk-wrong-but-real');
    const leaked = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE payload::text LIKE '%sk-wrong-but-real%' OR payload::text LIKE '%the-right-key%'",
    );
    expect(leaked.rows[0]?.n).toBe(0);
  });

  it('records a refusal for a tool name that could not itself be stored', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db);
    const actor = await syscall.spawn({ className: 'worker', grants: [{ tool: 'test.*' }] });
    await rejection(syscall.callTool(actor.token, 'test.\u0000\ud800', {}), 'UNKNOWN_TOOL');
    const denied = await auditEvents(db, actor.sessionId, 'CAPABILITY_DENIED');
    expect(denied).toHaveLength(1);
    expect(denied[0]?.payload).toMatchObject({ code: 'UNKNOWN_TOOL' });
  });

  it('names a malformed requested grant instead of crashing on it', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db);
    const error = await rejection(
      syscall.spawn({ className: 'worker', grants: [{ tool: 'test.noop' }, { tool: 42 }] as never }),
      'INVALID_INPUT',
    );
    expect(error.message).toMatch(/^grants\[1\]\.tool/);
  });
});
