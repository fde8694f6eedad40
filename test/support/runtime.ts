/**
 * A syscall wired by hand for integration tests: temporary signing keys, a manual clock, and a
 * registry of small test tools whose effects the test can observe.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { z } from 'zod';
import type { AuditEvent } from '../../src/audit/index.js';
import { manualClock } from '../../src/clock.js';
import { AosError, type ErrorCode } from '../../src/errors.js';
import { loadOrCreateKeyStore, TokenIssuer } from '../../src/security/capability/index.js';
import type { Db } from '../../src/store/db.js';
import { type ActorClass, Syscall, type SyscallDeps } from '../../src/syscall/index.js';
import { type ToolContext, type ToolDefinition, ToolRegistry } from '../../src/tools/index.js';

/** The moment every test clock starts at. */
export const TEST_START = new Date('2026-03-01T12:00:00Z');

export const TEST_ISSUER = 'aosiq-test';
export const TEST_AUDIENCE = 'aosiq-test';

/** What the test tools saw: executions of test.destroy and every test.spy call. */
export interface ToolCounters {
  destroy: number;
  spyCalls: { context: ToolContext; args: unknown }[];
}

const keyDirs: string[] = [];
process.once('exit', () => {
  for (const dir of keyDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function testTool<A>(
  definition: Pick<ToolDefinition<A>, 'name' | 'input' | 'run'> & Partial<ToolDefinition<A>>,
): ToolDefinition<A> {
  return {
    description: `test tool ${definition.name}`,
    reversible: true,
    blastRadius: { level: 'low', reason: 'test tool' },
    ...definition,
  };
}

function testTools(counters: ToolCounters): ToolRegistry {
  const registry = new ToolRegistry();
  registry.register(testTool({ name: 'test.noop', input: z.object({}), run: async () => ({ ok: true }) }));
  registry.register(
    testTool({
      name: 'test.echo',
      input: z.object({ text: z.string().max(100), n: z.number().optional() }),
      run: async (args) => ({ echoed: args.text, n: args.n ?? null }),
    }),
  );
  // A long result from short arguments (arguments are capped at 1 KB).
  registry.register(
    testTool({
      name: 'test.repeat',
      input: z.object({ unit: z.string().max(100), times: z.number().int().min(0).max(1_048_576) }),
      run: async (args) => ({ text: args.unit.repeat(args.times) }),
    }),
  );
  registry.register(
    testTool({
      name: 'test.destroy',
      input: z.object({ target: z.string(), api_key: z.string().optional() }),
      reversible: false,
      blastRadius: { level: 'critical', reason: 'deletes the target for good' },
      run: async (args) => {
        counters.destroy++;
        return { destroyed: args.target };
      },
    }),
  );
  registry.register(
    testTool({
      name: 'test.boom',
      input: z.object({}),
      run: async () => {
        throw new Error('the boom tool always fails');
      },
    }),
  );
  registry.register(
    testTool({
      name: 'test.fail',
      input: z.object({ message: z.string() }),
      run: async ({ message }) => {
        throw new Error(message);
      },
    }),
  );
  registry.register(testTool({ name: 'test.hang', input: z.object({}), run: () => new Promise(() => {}) }));
  registry.register(
    testTool({
      name: 'test.purge',
      input: z.object({ target: z.string(), mode: z.enum(['soft', 'hard']).default('soft') }),
      reversible: false,
      run: async (args) => ({ purged: args.target, mode: args.mode }),
    }),
  );
  // A result that is not JSON, as a careless operator module might return.
  registry.register(testTool({ name: 'test.date', input: z.object({}), run: async () => new Date(0) as unknown as null }));
  registry.register(
    testTool({
      name: 'test.spy',
      input: z.object({ note: z.string().optional(), nested: z.record(z.string(), z.number()).optional() }),
      run: async (args, context) => {
        counters.spyCalls.push({ context, args });
        return null;
      },
    }),
  );
  return registry;
}

function testClasses(): Map<string, ActorClass> {
  const classes: ActorClass[] = [
    { name: 'worker', kind: 'agent', capabilities: [{ tool: 'test.*' }], tokenTtlSeconds: 600 },
    {
      name: 'reader',
      kind: 'job',
      capabilities: [{ tool: 'test.echo', constraints: { text: [{ prefix: 'ok' }] } }],
      tokenTtlSeconds: 600,
    },
  ];
  return new Map(classes.map((cls) => [cls.name, cls]));
}

/**
 * A Syscall over `db` with test tools and classes `worker` (agent, test.*) and `reader` (job,
 * test.echo with text prefixed "ok"); operator grants `*`, delegation depth 2, 1024-byte args.
 *
 * @example
 * const { syscall, clock, counters } = await createTestSyscall(db);
 * const { token } = await syscall.spawn({ className: 'worker', grants: [{ tool: 'test.noop' }] });
 */
export async function createTestSyscall(db: Db, overrides: Partial<Omit<SyscallDeps, 'db'>> = {}) {
  const clock = manualClock(TEST_START);
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aosiq-syscall-test-'));
  keyDirs.push(keyDir);
  const keys = await loadOrCreateKeyStore(path.join(keyDir, 'keys'), { now: () => clock.now(), env: {} });
  const issuer = new TokenIssuer({
    keys,
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    now: () => clock.now(),
  });
  const counters: ToolCounters = { destroy: 0, spyCalls: [] };
  const deps: SyscallDeps = {
    db,
    clock,
    tokens: issuer,
    tools: testTools(counters),
    classes: testClasses(),
    operator: { name: 'operator', grants: [{ tool: '*' }] },
    maxDelegationDepth: 2,
    maxArgsBytes: 1024,
    toolTimeoutMs: 5000,
    ...overrides,
  };
  return { syscall: new Syscall(deps), deps, clock, counters, issuer, keys };
}

/**
 * The AosError a promise rejects with; fails the test when it resolves or rejects otherwise.
 *
 * @example
 * const error = await rejection(syscall.callTool(token, 'test.nope', {}), 'UNKNOWN_TOOL');
 */
export async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<AosError> {
  const settled = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in settled)) throw new Error(`expected ${code}, but the call resolved`);
  expect(settled.error).toBeInstanceOf(AosError);
  expect(settled.error).toMatchObject({ code });
  return settled.error as AosError;
}

/**
 * A session's audit events in chain order, optionally of one type.
 *
 * @example
 * const denied = await auditEvents(db, sessionId, 'CAPABILITY_DENIED');
 */
export async function auditEvents(db: Db, sessionId: string, type?: string): Promise<AuditEvent[]> {
  const result = await db.query<AuditEvent>(
    `SELECT id, session_id, chain_seq, prev_hash, hash, type, actor_id, principal, payload, at
       FROM audit_events WHERE session_id = $1 AND ($2::text IS NULL OR type = $2) ORDER BY chain_seq`,
    [sessionId, type ?? null],
  );
  return result.rows.map((row) => ({ ...row, id: Number(row.id), chain_seq: Number(row.chain_seq) }));
}

/**
 * The state of one actor row, or undefined when no row exists.
 *
 * @example
 * expect(await actorState(db, actorId)).toBe('killed');
 */
export async function actorState(db: Db, actorId: string): Promise<string | undefined> {
  const found = await db.query<{ state: string }>('SELECT state FROM actors WHERE id = $1', [actorId]);
  return found.rows[0]?.state;
}
