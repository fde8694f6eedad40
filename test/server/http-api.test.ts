/**
 * The HTTP API end to end, over real HTTP: caller authentication, scoped spawning, delegation,
 * and the approval workflow.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reserve, usdToPico } from '../../src/ledger/index.js';
import { revokeApiKey } from '../../src/server/auth/index.js';
import { startTestServer, type TestServer } from './support.js';

const events = (type: string) => `SELECT count(*)::int AS n FROM audit_events WHERE type = '${type}'`;
const ALL_EVENTS = 'SELECT count(*)::int AS n FROM audit_events';

describe('HTTP API, auth enforced', () => {
  let t: TestServer;
  let reviewerKey: string;
  let approverKey: string;
  let adminKey: string;

  beforeAll(async () => {
    t = await startTestServer('enforced');
    reviewerKey = await t.key('reviewer-only', { spawn_classes: ['reviewer', 'janitor-less'], grants: [{ tool: 'fs.list' }, { tool: 'fs.read' }] });
    approverKey = await t.key('approver', { approve: true, audit: true });
    adminKey = await t.key('ops', { spawn_classes: ['*'], grants: [{ tool: '*' }], admin: true, audit: true });
  });
  afterAll(() => t?.stop());

  it('refuses missing, malformed, unknown and revoked credentials with 401, distinct codes, and only an AUTH_REJECTED row', async () => {
    const revoked = await t.key('revoked', { spawn_classes: ['*'], grants: [{ tool: '*' }] });
    await revokeApiKey(t.runtime.db, t.runtime.deps.clock, 'revoked', 'test');
    const cases: [string | undefined, string][] = [
      [undefined, 'AUTH_MISSING'],
      ['not-a-key', 'AUTH_MALFORMED'],
      [`aos_0123456789abcdef_${'A'.repeat(43)}`, 'AUTH_INVALID'],
      [`${reviewerKey.slice(0, -1)}${reviewerKey.endsWith('A') ? 'B' : 'A'}`, 'AUTH_INVALID'],
      [revoked, 'AUTH_REVOKED'],
    ];
    for (const [key, code] of cases) {
      const before = await t.count(ALL_EVENTS);
      const rejectedBefore = await t.count(events('AUTH_REJECTED'));
      const actorsBefore = await t.count('SELECT count(*)::int AS n FROM actors');
      const response = await t.request('POST', '/api/v1/agents', { key, body: { class: 'reviewer', grants: [{ tool: 'fs.list' }] } });
      expect(response.status, code).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ code, status: 401, type: `urn:aosiq:problem:${code.toLowerCase().replaceAll('_', '-')}` });
      expect(await t.count(events('AUTH_REJECTED'))).toBe(rejectedBefore + 1);
      expect(await t.count(ALL_EVENTS)).toBe(before + 1);
      expect(await t.count('SELECT count(*)::int AS n FROM actors')).toBe(actorsBefore);
    }
    const { rows } = await t.runtime.db.query<{ payload: string }>(`SELECT payload::text FROM audit_events WHERE type = 'AUTH_REJECTED'`);
    for (const row of rows) expect(row.payload).not.toContain(reviewerKey.slice(21));
  });

  it('spawns only the classes a key names, clamped to its grants, and records a refused spawn', async () => {
    const refused = await t.request('POST', '/api/v1/agents', { key: reviewerKey, body: { class: 'janitor', grants: [{ tool: 'fs.list' }] } });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'SCOPE_DENIED', detail: expect.stringMatching(/may not spawn class "janitor"/) });
    const { rows } = await t.runtime.db.query<{ principal: string; payload: { class: string } }>(
      `SELECT principal, payload FROM audit_events WHERE type = 'CAPABILITY_DENIED' ORDER BY id DESC LIMIT 1`,
    );
    expect(rows[0]).toMatchObject({ principal: 'key:reviewer-only', payload: { class: 'janitor', code: 'SCOPE_DENIED' } });

    const spawned = await t.request('POST', '/api/v1/agents', {
      key: reviewerKey,
      body: { class: 'reviewer', grants: [{ tool: 'fs.read' }, { tool: 'fs.list' }, { tool: 'fs.write' }] },
    });
    expect(spawned.status).toBe(201);
    expect(spawned.body.grants).toEqual([{ tool: 'fs.read' }, { tool: 'fs.list' }]);
    expect(spawned.body.dropped).toEqual([{ grant: { tool: 'fs.write' }, reason: expect.any(String) }]);
    const actor = await t.request('GET', `/api/v1/agents/${spawned.body.actor_id}`, { key: reviewerKey });
    expect(actor.body).toMatchObject({ class: 'reviewer', principal: 'key:reviewer-only', state: 'runnable' });
    expect(actor.body).not.toHaveProperty('token_jti');
  });

  it('lets an actor spawn a child through the API that never exceeds it', async () => {
    const parent = await t.request('POST', '/api/v1/agents', { key: adminKey, body: { class: 'janitor', grants: [{ tool: 'fs.list' }] } });
    const child = await t.request('POST', '/api/v1/agents', {
      key: parent.body.token,
      body: { class: 'janitor', grants: [{ tool: 'fs.list' }, { tool: 'fs.delete', constraints: { path: [{ prefix: 'tmp/' }] } }] },
    });
    expect(child.status).toBe(201);
    expect(child.body).toMatchObject({ session_id: parent.body.session_id, depth: 1, grants: [{ tool: 'fs.list' }] });
    expect(child.body.dropped.map((d: { grant: { tool: string } }) => d.grant.tool)).toEqual(['fs.delete']);
    const call = await t.request('POST', '/api/v1/calls', { key: child.body.token, body: { tool: 'fs.delete', args: { path: 'tmp/x' } } });
    expect(call.status).toBe(403);
    expect(call.body.code).toBe('CAPABILITY_DENIED');
  });

  it('runs an approved irreversible call exactly once, approved only by a key that may approve', async () => {
    fs.writeFileSync(path.join(t.dir, 'workspace', 'tmp', 'old.log'), 'stale\n');
    const actor = await t.request('POST', '/api/v1/agents', {
      key: adminKey,
      body: { class: 'janitor', grants: [{ tool: 'fs.delete', constraints: { path: [{ prefix: 'tmp/' }] } }] },
    });
    const call = () => t.request('POST', '/api/v1/calls', { key: actor.body.token, body: { tool: 'fs.delete', args: { path: 'tmp/old.log' } } });
    const pending = await call();
    expect(pending.status).toBe(202);
    expect(pending.body).toMatchObject({ status: 'approval_required', tool: 'fs.delete', args_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const id = pending.body.approval_id as string;

    const shown = await t.request('GET', `/api/v1/approvals/${id}`, { key: approverKey });
    expect(shown.body).toMatchObject({ status: 'pending', args: { path: 'tmp/old.log' }, blast_radius: 'high', actor: { id: actor.body.actor_id, class: 'janitor' } });
    expect(shown.body.evidence.map((e: { type: string }) => e.type)).toContain('HUMAN_APPROVAL_REQUESTED');

    const notAllowed = await t.request('POST', `/api/v1/approvals/${id}/approve`, { key: reviewerKey, body: { reason: 'looks fine' } });
    expect(notAllowed.status).toBe(403);
    expect(notAllowed.body.code).toBe('SCOPE_DENIED');
    const approved = await t.request('POST', `/api/v1/approvals/${id}/approve`, { key: approverKey, body: { reason: 'stale log' } });
    expect(approved.body).toMatchObject({ status: 'approved', decided_by: 'key:approver', decision_reason: 'stale log' });

    const ran = await call();
    expect(ran.status).toBe(200);
    expect(ran.body.approval_id).toBe(id);
    expect(fs.existsSync(path.join(t.dir, 'workspace', 'tmp', 'old.log'))).toBe(false);
    const again = await call();
    expect(again.status).toBe(202);
    expect(again.body.approval_id).not.toBe(id);
    expect(await t.count(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'TOOL_CALL_STARTED' AND payload->>'approval_id' = $1`, [id])).toBe(1);
    expect(await t.count(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'TOOL_CALL_COMPLETED' AND session_id = $1`, [actor.body.session_id])).toBe(1);
  });

  it('refuses an approval by the key that started the actor (separation of duties), showing who voted', async () => {
    const selfish = await t.key('selfish', { spawn_classes: ['janitor'], grants: [{ tool: '*' }], approve: true });
    const actor = await t.request('POST', '/api/v1/agents', {
      key: selfish,
      body: { class: 'janitor', grants: [{ tool: 'fs.delete', constraints: { path: [{ prefix: 'tmp/' }] } }] },
    });
    const pending = await t.request('POST', '/api/v1/calls', { key: actor.body.token, body: { tool: 'fs.delete', args: { path: 'tmp/mine.log' } } });
    const id = pending.body.approval_id as string;
    const own = await t.request('POST', `/api/v1/approvals/${id}/approve`, { key: selfish, body: {} });
    expect(own.status).toBe(403);
    expect(own.body).toMatchObject({ code: 'APPROVER_NOT_ALLOWED', detail: expect.stringMatching(/^separation of duties: key:selfish/) });
    await t.request('POST', `/api/v1/approvals/${id}/deny`, { key: approverKey, body: { reason: 'not today' } });
    const shown = await t.request('GET', `/api/v1/approvals/${id}`, { key: approverKey });
    expect(shown.body).toMatchObject({ status: 'denied', quorum: 1, separation_of_duties: true, votes: [{ approver: 'key:approver', decision: 'deny', reason: 'not today', credential: expect.stringMatching(/^[0-9a-f]{16}$/) }] });
    const told = await t.request('POST', '/api/v1/calls', { key: actor.body.token, body: { tool: 'fs.delete', args: { path: 'tmp/mine.log' } } });
    expect(told.status).toBe(403);
    expect(told.body).toMatchObject({ code: 'APPROVAL_DENIED', detail: expect.stringMatching(/denied by key:approver: not today/) });
  });

  it('keeps the audit log, kills and proofs behind their scopes', async () => {
    expect((await t.request('GET', '/api/v1/audit/events', { key: reviewerKey })).status).toBe(403);
    const listed = await t.request('GET', '/api/v1/audit/events?type=HUMAN_APPROVAL_GRANTED', { key: approverKey });
    expect(listed.body.events).toHaveLength(1);
    const session = listed.body.events[0].session_id as string;
    expect((await t.request('GET', `/api/v1/audit/sessions/${session}/verify`, { key: approverKey })).body).toMatchObject({ ok: true, first_break: null });
    const proof = await t.request('GET', `/api/v1/audit/events/${listed.body.events[0].id}/proof`, { key: approverKey });
    expect(proof.body).toMatchObject({ format: 'aosiq-event-proof/1', event: { session_id: session } });
    const victim = await t.request('POST', '/api/v1/agents', { key: reviewerKey, body: { class: 'reviewer', grants: [{ tool: 'fs.list' }] } });
    expect((await t.request('POST', `/api/v1/agents/${victim.body.actor_id}/kill`, { key: reviewerKey, body: { reason: 'x' } })).status).toBe(403);
    const killed = await t.request('POST', `/api/v1/agents/${victim.body.actor_id}/kill`, { key: adminKey, body: { reason: 'runaway' } });
    expect(killed.body).toEqual({ killed: [victim.body.actor_id] });
    const dead = await t.request('POST', '/api/v1/calls', { key: victim.body.token, body: { tool: 'fs.list', args: { path: '.' } } });
    expect(dead.status).toBe(403);
    expect(dead.body.code).toBe('ACTOR_NOT_ALIVE');
  });

  it('rolls up the ledger for the audit scope only, tool calls included at their compute rate', async () => {
    expect((await t.request('GET', '/api/v1/costs', { key: reviewerKey })).status).toBe(403);
    const byClass = await t.request('GET', '/api/v1/costs?by=class', { key: approverKey });
    expect(byClass.status).toBe(200);
    // The example classes set no compute rate: their tool calls are recorded at $0 an hour.
    expect(byClass.body.rows.find((row: { key: string }) => row.key === 'janitor')).toMatchObject({ usd: '0.000000', unpriced: 0 });
    const byTool = await t.request('GET', '/api/v1/costs?by=model&class=janitor', { key: approverKey });
    expect(byTool.body.rows.map((row: { key: string }) => row.key)).toContain('tool:fs.delete');
    const bad = await t.request('GET', '/api/v1/costs?by=vendor', { key: approverKey });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('by');
  });

  it('shows each live session against its class ceiling, counting open holds, and each class against its daily one', async () => {
    const actor = await t.request('POST', '/api/v1/agents', { key: adminKey, body: { class: 'reviewer', grants: [{ tool: 'fs.read' }] } });
    const hold = { sessionId: actor.body.session_id, actorId: actor.body.actor_id, className: 'reviewer', backend: 'ollama', model: 'llama3.2', holdMs: 60_000, dailyCeiling: null };
    await reserve(t.runtime.db, t.runtime.deps.clock, { ...hold, usd: usdToPico(1.25), sessionCeiling: usdToPico(5) });
    expect((await t.request('GET', '/api/v1/costs/headroom', { key: reviewerKey })).status).toBe(403);
    const shown = await t.request('GET', '/api/v1/costs/headroom', { key: approverKey });
    expect(shown.status).toBe(200);
    expect(shown.body.sessions).toContainEqual({ session_id: actor.body.session_id, class: 'reviewer', live_actors: 1, spent_usd: '0.000000', held_usd: '1.250000', ceiling_usd: '5.000000', used: 0.25 });
    expect(shown.body.classes).toContainEqual({ class: 'reviewer', spent_usd: '0.000000', held_usd: '1.250000', ceiling_usd: null, used: null });
    // A killed actor's session is no longer live.
    await t.request('POST', `/api/v1/agents/${actor.body.actor_id}/kill`, { key: adminKey, body: { reason: 'done' } });
    const after = await t.request('GET', '/api/v1/costs/headroom', { key: approverKey });
    expect(after.body.sessions.map((row: { session_id: string }) => row.session_id)).not.toContain(actor.body.session_id);
  });

  it('refuses bodies it cannot hash one way only, and names the field', async () => {
    const actor = await t.request('POST', '/api/v1/agents', { key: adminKey, body: { class: 'reviewer', grants: [{ tool: 'fs.read' }] } });
    const duplicate = await t.request('POST', '/api/v1/calls', { key: actor.body.token, raw: '{"tool":"fs.read","args":{"path":"a","path":"b"}}' });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'body.args' } });
    const missing = await t.request('POST', '/api/v1/agents', { key: adminKey, body: { grants: [] } });
    expect(missing.status).toBe(400);
    expect(missing.body.detail).toMatch(/^body\.class: /);
  });

  it('serves health with anchor counters, JWKS, metrics and the OpenAPI document without credentials', async () => {
    await t.runtime.seal(true);
    const health = await t.request('GET', '/api/v1/health');
    expect(health.body).toMatchObject({ status: 'ok', auth_mode: 'enforced', database: { reachable: true }, audit_anchors: { failures: 0, lag_events: 0 } });
    expect(health.body.audit_anchors.successes).toBeGreaterThan(0);
    expect((await t.request('GET', '/.well-known/jwks.json')).body.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    const metrics = await t.request('GET', '/metrics');
    expect(metrics.body).toMatch(/aosiq_tool_calls_total\{tool="fs.delete",outcome="approval_required"\} 3/);
    expect(metrics.body).toMatch(/aosiq_denials_total\{code="AUTH_MISSING"\} 1/);
    const openapi = await t.request('GET', '/api/v1/openapi.json');
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/api/v1/agents', '/api/v1/calls', '/api/v1/approvals/{id}/approve']));
  });
});

describe('HTTP API, auth warn', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('warn');
  });
  afterAll(() => t?.stop());

  it('lets requests through but flags every response', async () => {
    for (const [method, url] of [['GET', '/api/v1/agents'], ['GET', '/api/v1/health'], ['GET', '/no/such/route']] as const) {
      const response = await t.request(method, url);
      expect(response.headers.get('x-aos-auth-warning'), url).toBeTruthy();
    }
    const spawned = await t.request('POST', '/api/v1/agents', { key: 'garbage', body: { class: 'reviewer', grants: [{ tool: 'fs.list' }] } });
    expect(spawned.status).toBe(201);
    expect(spawned.headers.get('x-aos-auth-warning')).toMatch(/^AUTH_MALFORMED/);
    // No ambient authority even so: a tool call still needs the actor's own token.
    const call = await t.request('POST', '/api/v1/calls', { body: { tool: 'fs.list', args: { path: '.' } } });
    expect(call.status).toBe(401);
  });
});
