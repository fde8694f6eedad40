import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { SYSTEM_SESSION, verifyStoredChains } from '../../src/audit/index.js';
import type { ErrorCode } from '../../src/errors.js';
import { loadOrCreateKeyStore, TokenIssuer } from '../../src/security/capability/index.js';
import type { Db } from '../../src/store/db.js';
import { auditEvents, createTestSyscall, rejection, TEST_AUDIENCE, TEST_ISSUER } from '../support/runtime.js';
import { describeEachStore } from '../support/stores.js';

function tokenPrefix(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

/** The AUTH_REJECTED rows of the system chain that name this token's hash prefix. */
async function systemRejections(db: Db, token: string) {
  const events = await auditEvents(db, SYSTEM_SESSION, 'AUTH_REJECTED');
  return events.filter((event) => event.payload.presented_sha256_prefix === tokenPrefix(token));
}

/** How many audit rows hold `text` anywhere, in any column. */
async function rowsContaining(db: Db, text: string): Promise<number> {
  const found = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM audit_events e WHERE strpos(e::text, $1) > 0',
    [text],
  );
  return found.rows[0]!.n;
}

async function actorJti(db: Db, actorId: string): Promise<string> {
  const found = await db.query<{ token_jti: string }>('SELECT token_jti FROM actors WHERE id = $1', [
    actorId,
  ]);
  return found.rows[0]!.token_jti;
}

describeEachStore('syscall callTool refusals', (store) => {
  /** A worker allowed every test tool, and a check that a refused call left no trace of running. */
  async function setUp() {
    const { db } = store();
    const harness = await createTestSyscall(db);
    const actor = await harness.syscall.spawn({ className: 'worker', grants: [{ tool: 'test.*' }] });
    const refusedInSession = async (code: ErrorCode, tool: string) => {
      expect(harness.counters.spyCalls).toHaveLength(0);
      expect(await auditEvents(db, actor.sessionId, 'TOOL_CALL_STARTED')).toHaveLength(0);
      const denied = await auditEvents(db, actor.sessionId, 'CAPABILITY_DENIED');
      expect(denied).toMatchObject([
        { actor_id: actor.actorId, payload: { operation: 'call_tool', tool, code } },
      ]);
      expect((await verifyStoredChains(db, { sessionId: actor.sessionId })).ok).toBe(true);
    };
    return { db, ...harness, actor, refusedInSession };
  }

  it('rejects a malformed or altered token without storing it, in the system chain', async () => {
    const { db, syscall, counters, actor } = await setUp();
    const garbage = `garbage-${createHash('sha256').update(actor.actorId).digest('hex')}`;
    const [header, payload, signature] = actor.token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const widened = Buffer.from(JSON.stringify({ ...claims, grants: [{ tool: '*' }] })).toString('base64url');
    const altered = `${header}.${widened}.${signature}`;

    for (const token of [garbage, altered]) {
      await rejection(syscall.callTool(token, 'test.spy', {}), 'INVALID_TOKEN');
      const rejected = await systemRejections(db, token);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toMatchObject({
        actor_id: null,
        payload: { operation: 'call_tool', code: 'INVALID_TOKEN' },
      });
      expect(await rowsContaining(db, token)).toBe(0);
    }
    expect(await rowsContaining(db, widened)).toBe(0);
    expect(counters.spyCalls).toHaveLength(0);
    expect(await auditEvents(db, actor.sessionId)).toHaveLength(1);
    expect((await verifyStoredChains(db, { sessionId: SYSTEM_SESSION })).ok).toBe(true);
  });

  it('rejects a token signed with our keys for another audience, and one signed with foreign keys', async () => {
    const { db, syscall, keys, counters, actor, clock } = await setUp();
    const jti = await actorJti(db, actor.actorId);
    const mint = {
      sub: actor.actorId,
      jti,
      sid: actor.sessionId,
      cls: 'worker',
      grants: [{ tool: '*' }],
      depth: 0,
    };
    const exp = Math.floor(clock.now().getTime() / 1000) + 300;

    const otherAudience = new TokenIssuer({
      keys,
      issuer: TEST_ISSUER,
      audience: 'other',
      now: () => clock.now(),
    });
    const { token: misdirected } = await otherAudience.mint({ ...mint, exp });
    const error = await rejection(syscall.callTool(misdirected, 'test.spy', {}), 'INVALID_TOKEN');
    expect(error.message).toContain('audience');
    expect(await systemRejections(db, misdirected)).toHaveLength(1);

    const foreignDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-foreign-keys-'));
    try {
      const foreignKeys = await loadOrCreateKeyStore(path.join(foreignDir, 'keys'), { env: {} });
      const forger = new TokenIssuer({
        keys: foreignKeys,
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
        now: () => clock.now(),
      });
      const { token: forged } = await forger.mint({ ...mint, exp });
      await rejection(syscall.callTool(forged, 'test.spy', {}), 'INVALID_TOKEN');
      expect(await systemRejections(db, forged)).toHaveLength(1);
    } finally {
      fs.rmSync(foreignDir, { recursive: true, force: true });
    }
    expect(counters.spyCalls).toHaveLength(0);
    expect(await auditEvents(db, actor.sessionId, 'TOOL_CALL_STARTED')).toHaveLength(0);
  });

  it('rejects an expired token and records it in the actor session', async () => {
    const { db, syscall, clock, counters, actor } = await setUp();
    await syscall.callTool(actor.token, 'test.spy', {});
    // The class TTL is 600 s and verification tolerates 5 s of skew.
    clock.set(new Date(actor.expiresAt.getTime() + 6_000));

    const error = await rejection(syscall.callTool(actor.token, 'test.spy', {}), 'TOKEN_EXPIRED');
    expect(error.message).toContain(actor.expiresAt.toISOString());
    expect(counters.spyCalls).toHaveLength(1);
    expect(await auditEvents(db, actor.sessionId, 'AUTH_REJECTED')).toMatchObject([
      {
        actor_id: actor.actorId,
        payload: {
          operation: 'call_tool',
          code: 'TOKEN_EXPIRED',
          presented_sha256_prefix: tokenPrefix(actor.token),
        },
      },
    ]);
    expect(await auditEvents(db, actor.sessionId, 'TOOL_CALL_STARTED')).toHaveLength(1);
    expect(await rowsContaining(db, actor.token)).toBe(0);
  });

  it('refuses an unknown tool, naming close matches', async () => {
    const { syscall, actor, refusedInSession } = await setUp();
    const error = await rejection(syscall.callTool(actor.token, 'test.spyy', {}), 'UNKNOWN_TOOL');
    expect(error.details.suggestions).toContain('test.spy');
    await refusedInSession('UNKNOWN_TOOL', 'test.spyy');
  });

  it('refuses arguments that fail the tool schema', async () => {
    const { syscall, actor, refusedInSession } = await setUp();
    const error = await rejection(syscall.callTool(actor.token, 'test.spy', { note: 42 }), 'INVALID_INPUT');
    expect(error.message).toContain('note');
    await refusedInSession('INVALID_INPUT', 'test.spy');
  });

  it('refuses arguments whose canonical JSON exceeds max_args_bytes', async () => {
    const { syscall, actor, refusedInSession } = await setUp();
    const error = await rejection(
      syscall.callTool(actor.token, 'test.spy', { note: 'x'.repeat(1100) }),
      'ARGS_TOO_LARGE',
    );
    expect(error.details).toMatchObject({ limit: 1024 });
    await refusedInSession('ARGS_TOO_LARGE', 'test.spy');
  });

  it('refuses arguments that are not a JSON object', async () => {
    const { syscall, actor, refusedInSession } = await setUp();
    const error = await rejection(syscall.callTool(actor.token, 'test.spy', ['note', 'x']), 'INVALID_INPUT');
    expect(error.message).toMatch(/JSON object/);
    await refusedInSession('INVALID_INPUT', 'test.spy');
  });

  it('refuses a string argument holding a lone surrogate, which has no single hash', async () => {
    const { syscall, actor, refusedInSession } = await setUp();
    const error = await rejection(
      syscall.callTool(actor.token, 'test.spy', { note: 'ok\uD800' }),
      'INVALID_INPUT',
    );
    expect(error.message).toMatch(/surrogate/);
    await refusedInSession('INVALID_INPUT', 'test.spy');
  });

  it('refuses a call that breaks a grant constraint, naming the argument', async () => {
    const { db, syscall } = await setUp();
    const reader = await syscall.spawn({ className: 'reader', grants: [{ tool: 'test.echo' }] });
    const error = await rejection(
      syscall.callTool(reader.token, 'test.echo', { text: 'bad' }),
      'CAPABILITY_DENIED',
    );
    expect(error.message).toMatch(/argument "text" must match prefix "ok" but is "bad"/);
    expect(await auditEvents(db, reader.sessionId, 'TOOL_CALL_STARTED')).toHaveLength(0);
    expect(await auditEvents(db, reader.sessionId, 'CAPABILITY_DENIED')).toMatchObject([
      {
        actor_id: reader.actorId,
        payload: { tool: 'test.echo', code: 'CAPABILITY_DENIED', reason: error.message },
      },
    ]);
    // The same grant admits a conforming call.
    const allowed = await syscall.callTool(reader.token, 'test.echo', { text: 'ok then' });
    expect(allowed.result).toEqual({ echoed: 'ok then', n: null });
  });
});
