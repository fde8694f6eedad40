import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { expect, it } from 'vitest';
import { verifyStoredChains } from '../../src/audit/index.js';
import { auditEvents, createTestSyscall, rejection } from '../support/runtime.js';
import { describeEachStore } from '../support/stores.js';

/** An independent vector: SHA-256 over the RFC 8785 text, computed without the product's helpers. */
function sha256OfCanonical(value: unknown): string {
  return createHash('sha256').update(canonicalize(value)!).digest('hex');
}

/** Every value reachable through own properties, with the path that reaches it. */
function reachable(root: unknown): { path: string; value: unknown }[] {
  const found: { path: string; value: unknown }[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, path: string) => {
    found.push({ path, value });
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value))
      return;
    seen.add(value);
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
      if ('value' in descriptor) visit(descriptor.value, `${path}.${String(key)}`);
    }
  };
  visit(root, '(root)');
  return found;
}

function isPlainData(value: unknown): boolean {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return true;
  if (Array.isArray(value))
    return Object.getPrototypeOf(value) === Array.prototype && value.every(isPlainData);
  if (typeof value !== 'object') return false;
  return Object.getPrototypeOf(value) === Object.prototype && Object.values(value).every(isPlainData);
}

describeEachStore('syscall callTool', (store) => {
  it('runs a granted call and records started then completed, keyed by session and chain position', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db);
    const actor = await syscall.spawn({ className: 'worker', grants: [{ tool: 'test.echo' }] });
    const args = { text: 'hello', n: 3 };

    const outcome = await syscall.callTool(actor.token, 'test.echo', args, 'alice');
    expect(outcome).toEqual({
      callId: `${actor.sessionId}:2`,
      approvalId: null,
      result: { echoed: 'hello', n: 3 },
      scan: { action: 'warn', detection: { score: 0, flagged: false, families: [], spans: [] } },
    });

    const events = await auditEvents(db, actor.sessionId);
    expect(events.map((event) => [event.chain_seq, event.type])).toEqual([
      [1, 'ACTOR_SPAWNED'],
      [2, 'TOOL_CALL_STARTED'],
      [3, 'TOOL_CALL_COMPLETED'],
    ]);
    expect(events[1]).toMatchObject({
      actor_id: actor.actorId,
      principal: 'alice',
      payload: {
        tool: 'test.echo',
        args,
        args_hash: sha256OfCanonical(args),
        reversible: true,
        approval_id: null,
        grant: { tool: 'test.echo' },
      },
    });
    expect(events[2]).toMatchObject({
      actor_id: actor.actorId,
      principal: 'alice',
      payload: {
        tool: 'test.echo',
        call_id: outcome.callId,
        result_sha256: sha256OfCanonical(outcome.result),
        result_bytes: Buffer.byteLength(canonicalize(outcome.result)!),
      },
    });

    const second = await syscall.callTool(actor.token, 'test.echo', { text: 'again' });
    expect(second.callId).toBe(`${actor.sessionId}:4`);
    expect(second.result).toEqual({ echoed: 'again', n: null });
    expect(await verifyStoredChains(db, { sessionId: actor.sessionId })).toMatchObject({
      ok: true,
      events: 5,
    });
    expect((await verifyStoredChains(db)).ok).toBe(true);
  });

  it('turns a throwing tool into TOOL_FAILED and records TOOL_CALL_FAILED', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db);
    const actor = await syscall.spawn({ className: 'worker', grants: [{ tool: 'test.*' }] });

    const error = await rejection(syscall.callTool(actor.token, 'test.boom', {}), 'TOOL_FAILED');
    expect(error.message).toContain('the boom tool always fails');
    expect(error.details).toMatchObject({ tool: 'test.boom' });

    const events = await auditEvents(db, actor.sessionId);
    expect(events.map((event) => event.type)).toEqual([
      'ACTOR_SPAWNED',
      'TOOL_CALL_STARTED',
      'TOOL_CALL_FAILED',
    ]);
    expect(events[2]).toMatchObject({
      actor_id: actor.actorId,
      payload: {
        tool: 'test.boom',
        call_id: `${actor.sessionId}:2`,
        code: 'TOOL_FAILED',
        error: expect.stringContaining('the boom tool always fails'),
      },
    });
    // A failed tool does not poison the actor.
    await expect(syscall.callTool(actor.token, 'test.noop', {})).resolves.toMatchObject({
      result: { ok: true },
    });
    expect((await verifyStoredChains(db, { sessionId: actor.sessionId })).ok).toBe(true);
  });

  it('hands a tool nothing but plain data and an abort signal', async () => {
    const { db } = store();
    const { syscall, counters } = await createTestSyscall(db);
    const actor = await syscall.spawn({ className: 'worker', grants: [{ tool: 'test.spy' }] });
    const sent = { note: 'look around', nested: { a: 1, b: 2 } };

    const outcome = await syscall.callTool(actor.token, 'test.spy', sent);
    expect(counters.spyCalls).toHaveLength(1);
    const { context, args } = counters.spyCalls[0]!;

    // usage: a sealed plain object where a tool may write the CPU time it measured.
    expect(Reflect.ownKeys(context).sort()).toEqual(['actorId', 'idempotencyKey', 'sessionId', 'signal', 'usage']);
    expect(Object.isSealed(context.usage)).toBe(true);
    expect(Object.isFrozen(context)).toBe(true);
    expect(context).toMatchObject({
      idempotencyKey: outcome.callId,
      actorId: actor.actorId,
      sessionId: actor.sessionId,
    });
    // A genuine AbortSignal: its only functions are the standard AbortSignal / EventTarget methods.
    expect(Object.getPrototypeOf(context.signal)).toBe(AbortSignal.prototype);
    expect(context.signal.aborted).toBe(false);

    for (const { path, value } of reachable(context)) {
      expect(typeof value, `${path} is a function`).not.toBe('function');
      if (typeof value === 'object' && value !== null) {
        for (const handle of ['query', 'transaction', 'callTool', 'spawn', 'tools', 'db']) {
          expect(handle in value, `${path} offers ${handle}`).toBe(false);
        }
      }
    }
    expect(args).toEqual(sent);
    expect(isPlainData(args)).toBe(true);
  });

  it('abandons a tool that ignores its abort signal once the deadline passes, and records the failure', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db, { toolTimeoutMs: 50 });
    const actor = await syscall.spawn({ className: 'worker', grants: [{ tool: 'test.hang' }] });
    const error = await rejection(syscall.callTool(actor.token, 'test.hang', {}), 'TOOL_FAILED');
    expect(error.message).toMatch(/did not finish within 50 ms/);
    const failed = await auditEvents(db, actor.sessionId, 'TOOL_CALL_FAILED');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.payload).toMatchObject({ tool: 'test.hang', code: 'TOOL_FAILED' });
  });
});
