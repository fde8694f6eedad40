import { expect, it } from 'vitest';
import { SYSTEM_SESSION } from '../../src/audit/index.js';
import type { Db } from '../../src/store/db.js';
import { actorState, auditEvents, createTestSyscall, rejection } from '../support/runtime.js';
import { describeEachStore } from '../support/stores.js';

async function actorRow(db: Db, actorId: string) {
  const found = await db.query<{
    session_id: string;
    class: string;
    kind: string;
    parent_id: string | null;
    state: string;
    token_jti: string;
    grants: unknown;
    delegation_depth: number;
    principal: string;
  }>(
    `SELECT session_id, class, kind, parent_id, state, token_jti, grants, delegation_depth, principal
       FROM actors WHERE id = $1`,
    [actorId],
  );
  return found.rows[0];
}

async function actorCount(db: Db, sessionId: string): Promise<number> {
  const found = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM actors WHERE session_id = $1', [
    sessionId,
  ]);
  return found.rows[0]!.n;
}

describeEachStore('syscall spawn', (store) => {
  it('clamps a top-level spawn to the operator authority and records what it dropped', async () => {
    const { db } = store();
    const { syscall, issuer } = await createTestSyscall(db, {
      operator: { name: 'operator', grants: [{ tool: 'test.echo' }, { tool: 'test.noop' }] },
    });
    const echoGrant = { tool: 'test.echo', constraints: { n: [{ range: { max: 5 } }] } };
    const spawned = await syscall.spawn({
      className: 'worker',
      grants: [echoGrant, { tool: 'test.noop' }, { tool: 'test.destroy' }],
    });

    expect(spawned.grants).toEqual([echoGrant, { tool: 'test.noop' }]);
    expect(spawned.dropped).toEqual([
      { grant: { tool: 'test.destroy' }, reason: expect.stringMatching(/operator.*test\.destroy/) },
    ]);
    expect(spawned.depth).toBe(0);
    expect((await issuer.verify(spawned.token)).grants).toEqual(spawned.grants);

    const row = await actorRow(db, spawned.actorId);
    expect(row).toMatchObject({
      session_id: spawned.sessionId,
      class: 'worker',
      kind: 'agent',
      parent_id: null,
      state: 'runnable',
      grants: spawned.grants,
      delegation_depth: 0,
      principal: 'operator',
    });

    const events = await auditEvents(db, spawned.sessionId);
    expect(events.map((event) => event.type)).toEqual(['ACTOR_SPAWNED']);
    expect(events[0]).toMatchObject({
      chain_seq: 1,
      actor_id: spawned.actorId,
      principal: 'operator',
      payload: {
        class: 'worker',
        parent_id: null,
        jti: row!.token_jti,
        depth: 0,
        grants: spawned.grants,
        dropped: spawned.dropped,
      },
    });

    // The clamp is real: the dropped tool is refused, the constraint on n holds.
    await rejection(syscall.callTool(spawned.token, 'test.destroy', { target: 'x' }), 'CAPABILITY_DENIED');
    await rejection(syscall.callTool(spawned.token, 'test.echo', { text: 'hi', n: 6 }), 'CAPABILITY_DENIED');
    await expect(syscall.callTool(spawned.token, 'test.echo', { text: 'hi', n: 5 })).resolves.toBeDefined();
  });

  it('clamps a top-level spawn to its class template', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db);
    const spawned = await syscall.spawn({
      className: 'reader',
      grants: [{ tool: 'test.echo' }, { tool: 'test.noop' }],
    });
    expect(spawned.grants).toEqual([{ tool: 'test.echo', constraints: { text: [{ prefix: 'ok' }] } }]);
    expect(spawned.dropped).toEqual([
      { grant: { tool: 'test.noop' }, reason: expect.stringContaining("class template 'reader'") },
    ]);
    expect(await actorRow(db, spawned.actorId)).toMatchObject({ kind: 'job', state: 'runnable' });
    const [spawnedEvent] = await auditEvents(db, spawned.sessionId, 'ACTOR_SPAWNED');
    expect(spawnedEvent?.payload).toMatchObject({ grants: spawned.grants, dropped: spawned.dropped });
  });

  it('narrows a child to its parent and never lets it outlive the parent', async () => {
    const { db } = store();
    const { syscall, clock, issuer } = await createTestSyscall(db);
    const parent = await syscall.spawn({
      className: 'worker',
      grants: [{ tool: 'test.echo' }, { tool: 'test.noop' }],
    });
    // Both share a 600 s TTL: a child spawned 100 s later would outlive the parent unless clamped.
    clock.advance(100_000);
    const child = await syscall.spawnChild(parent.token, 'worker', [
      { tool: 'test.echo' },
      { tool: 'test.destroy' },
    ]);

    expect(child.sessionId).toBe(parent.sessionId);
    expect(child.depth).toBe(1);
    expect(child.grants).toEqual([{ tool: 'test.echo' }]);
    expect(child.dropped).toEqual([
      {
        grant: { tool: 'test.destroy' },
        reason: expect.stringMatching(/parent token has no grant covering test\.destroy/),
      },
    ]);
    expect(child.expiresAt.getTime()).toBeLessThanOrEqual(parent.expiresAt.getTime());
    const parentClaims = await issuer.verify(parent.token);
    const childClaims = await issuer.verify(child.token);
    expect(childClaims.exp).toBeLessThanOrEqual(parentClaims.exp);
    expect(childClaims).toMatchObject({ pjti: parentClaims.jti, depth: 1, sid: parent.sessionId });

    expect(await actorRow(db, child.actorId)).toMatchObject({
      parent_id: parent.actorId,
      delegation_depth: 1,
      state: 'runnable',
      principal: 'operator',
    });
    const spawnedEvents = await auditEvents(db, parent.sessionId, 'ACTOR_SPAWNED');
    expect(spawnedEvents.map((event) => event.actor_id)).toEqual([parent.actorId, child.actorId]);
    expect(spawnedEvents[1]?.payload).toMatchObject({
      parent_id: parent.actorId,
      parent_jti: parentClaims.jti,
      depth: 1,
      grants: [{ tool: 'test.echo' }],
      dropped: child.dropped,
    });
    await rejection(syscall.callTool(child.token, 'test.noop', {}), 'CAPABILITY_DENIED');
  });

  it('refuses a child beyond the delegation depth limit and records the refusal', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db);
    const grants = [{ tool: 'test.noop' }];
    const root = await syscall.spawn({ className: 'worker', grants });
    const child = await syscall.spawnChild(root.token, 'worker', grants);
    const grandchild = await syscall.spawnChild(child.token, 'worker', grants);
    expect(grandchild.depth).toBe(2);

    const error = await rejection(
      syscall.spawnChild(grandchild.token, 'worker', grants),
      'INSUFFICIENT_AUTHORITY',
    );
    expect(error.message).toMatch(/depth 3 exceeds the limit 2/);
    expect(await actorCount(db, root.sessionId)).toBe(3);
    const denied = await auditEvents(db, root.sessionId, 'CAPABILITY_DENIED');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({
      actor_id: grandchild.actorId,
      payload: { operation: 'spawn', code: 'INSUFFICIENT_AUTHORITY', class: 'worker' },
    });
  });

  it('creates no actor when nothing survives narrowing, and records the refusal in the parent session', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db);
    const parent = await syscall.spawn({ className: 'worker', grants: [{ tool: 'test.echo' }] });

    const error = await rejection(
      syscall.spawnChild(parent.token, 'worker', [{ tool: 'test.noop' }]),
      'INSUFFICIENT_AUTHORITY',
    );
    expect(error.message).toContain('test.noop');
    expect(await actorCount(db, parent.sessionId)).toBe(1);
    // Contradictory constraints are an empty intersection too.
    await rejection(
      syscall.spawnChild(parent.token, 'reader', [
        { tool: 'test.echo', constraints: { text: [{ prefix: 'no' }] } },
      ]),
      'INSUFFICIENT_AUTHORITY',
    );
    expect(await actorCount(db, parent.sessionId)).toBe(1);

    const events = await auditEvents(db, parent.sessionId);
    expect(events.map((event) => event.type)).toEqual([
      'ACTOR_SPAWNED',
      'CAPABILITY_DENIED',
      'CAPABILITY_DENIED',
    ]);
    expect(events[1]).toMatchObject({
      actor_id: parent.actorId,
      payload: { operation: 'spawn', code: 'INSUFFICIENT_AUTHORITY', requested: [{ tool: 'test.noop' }] },
    });
  });

  it('refuses a child of an expired parent and records it in the parent session', async () => {
    const { db } = store();
    const { syscall, clock } = await createTestSyscall(db);
    const parent = await syscall.spawn({ className: 'worker', grants: [{ tool: 'test.noop' }] });
    clock.set(new Date(parent.expiresAt.getTime() + 6_000));

    await rejection(syscall.spawnChild(parent.token, 'worker', [{ tool: 'test.noop' }]), 'TOKEN_EXPIRED');
    expect(await actorCount(db, parent.sessionId)).toBe(1);
    expect(await auditEvents(db, parent.sessionId, 'AUTH_REJECTED')).toMatchObject([
      { actor_id: parent.actorId, payload: { operation: 'spawn', code: 'TOKEN_EXPIRED' } },
    ]);
  });

  it('refuses an unknown class with INVALID_INPUT naming the known classes', async () => {
    const { db } = store();
    const { syscall } = await createTestSyscall(db);
    const error = await rejection(
      syscall.spawn({ className: 'ghost', grants: [{ tool: 'test.noop' }] }),
      'INVALID_INPUT',
    );
    expect(error.message).toMatch(/"ghost".*worker, reader/);
    const ghosts = await db.query("SELECT 1 FROM actors WHERE class = 'ghost'");
    expect(ghosts.rowCount).toBe(0);
    const system = await auditEvents(db, SYSTEM_SESSION, 'CAPABILITY_DENIED');
    expect(
      system.some((event) => event.payload.class === 'ghost' && event.payload.code === 'INVALID_INPUT'),
    ).toBe(true);

    const parent = await syscall.spawn({ className: 'worker', grants: [{ tool: 'test.noop' }] });
    await rejection(syscall.spawnChild(parent.token, 'ghost', [{ tool: 'test.noop' }]), 'INVALID_INPUT');
    expect(await actorCount(db, parent.sessionId)).toBe(1);
    expect(await auditEvents(db, parent.sessionId, 'CAPABILITY_DENIED')).toMatchObject([
      { actor_id: parent.actorId, payload: { code: 'INVALID_INPUT', class: 'ghost' } },
    ]);
    expect(await actorState(db, parent.actorId)).toBe('runnable');
  });
});
