/**
 * The scheduler's routes over real HTTP, with the example configuration: workflow runs started
 * by API keys within their spawn scope and run by the server's own workers, the kill switch,
 * token renewal, and the scheduler in health.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support.js';

describe('workflow, kill switch and renewal routes', () => {
  let t: TestServer;
  let admin: string;
  let janitorKey: string;
  let reviewerKey: string;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await t.key('admin', { spawn_classes: ['*'], grants: [{ tool: '*' }], admin: true, audit: true });
    janitorKey = await t.key('janitor-runner', { spawn_classes: ['janitor'], grants: [{ tool: 'fs.list' }] });
    reviewerKey = await t.key('reviewer-only', { spawn_classes: ['reviewer'], grants: [{ tool: 'fs.read' }, { tool: 'fs.list' }] });
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
  });

  async function settled(id: string, key: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 200; i++) {
      const actor = await t.request('GET', `/api/v1/agents/${id}`, { key });
      if (!['runnable', 'running'].includes(actor.body.state)) return actor.body as Record<string, unknown>;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`run ${id} never settled`);
  }

  it('lists the workflows and starts a run only within the key\'s spawn scope; the server runs it', async () => {
    const list = await t.request('GET', '/api/v1/workflows', { key: reviewerKey });
    expect(list.body.workflows).toEqual([
      expect.objectContaining({ name: 'workspace-inventory', class: 'janitor', schedule: '0 * * * *', inputs: ['folder'], steps: [{ id: 'top', tool: 'fs.list' }, { id: 'tmp', tool: 'fs.list' }] }),
    ]);
    const refused = await t.request('POST', '/api/v1/workflows/workspace-inventory/runs', { key: reviewerKey, body: {} });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'SCOPE_DENIED' });
    expect((await t.request('POST', '/api/v1/workflows/nope/runs', { key: janitorKey, body: {} })).status).toBe(404);
    const bad = await t.request('POST', '/api/v1/workflows/workspace-inventory/runs', { key: janitorKey, body: { inputs: { colour: 'red' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('inputs.colour');

    const started = await t.request('POST', '/api/v1/workflows/workspace-inventory/runs', { key: janitorKey, body: { inputs: { folder: '.' } } });
    expect(started.status).toBe(202);
    const run = await settled(started.body.actor_id, janitorKey);
    expect(run).toMatchObject({ state: 'completed', principal: 'key:janitor-runner', class: 'janitor', program: { kind: 'workflow', workflow: 'workspace-inventory', trigger: 'api' } });
    // The key's grants clamp the run: janitor's template also has fs.delete, the key only fs.list.
    expect(run.grants).toEqual([{ tool: 'fs.list' }]);
    expect(run.lease_epoch).toBe(1);
  });

  it('kills every live actor of a class with the admin scope only', async () => {
    const a = await t.request('POST', '/api/v1/agents', { key: reviewerKey, body: { class: 'reviewer', grants: [{ tool: 'fs.list' }] } });
    const b = await t.request('POST', '/api/v1/agents', { key: reviewerKey, body: { class: 'reviewer', grants: [{ tool: 'fs.list' }] } });
    expect((await t.request('POST', '/api/v1/kill', { key: reviewerKey, body: { class: 'reviewer', reason: 'x' } })).status).toBe(403);
    const killed = await t.request('POST', '/api/v1/kill', { key: admin, body: { class: 'reviewer', reason: 'model provider incident' } });
    expect(killed.status).toBe(200);
    expect(killed.body.killed).toEqual(expect.arrayContaining([a.body.actor_id, b.body.actor_id]));
    const call = await t.request('POST', '/api/v1/calls', { key: a.body.token, body: { tool: 'fs.list', args: { path: '.' } } });
    expect(call.body).toMatchObject({ code: 'ACTOR_NOT_ALIVE' });
    expect((await t.request('POST', '/api/v1/kill', { key: admin, body: { class: 'reviewer' } })).status).toBe(400);
  });

  it('renews a token with the admin scope: the old one stops working, the new one works', async () => {
    const spawned = await t.request('POST', '/api/v1/agents', { key: reviewerKey, body: { class: 'reviewer', grants: [{ tool: 'fs.list' }] } });
    expect((await t.request('POST', `/api/v1/agents/${spawned.body.actor_id}/renew`, { key: reviewerKey, body: { reason: 'x' } })).status).toBe(403);
    const renewed = await t.request('POST', `/api/v1/agents/${spawned.body.actor_id}/renew`, { key: admin, body: { reason: 'long approval' } });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({ actor_id: spawned.body.actor_id, from: 'runnable', to: 'runnable' });
    const old = await t.request('POST', '/api/v1/calls', { key: spawned.body.token, body: { tool: 'fs.list', args: { path: '.' } } });
    expect(old.body).toMatchObject({ code: 'ACTOR_NOT_ALIVE' });
    const fresh = await t.request('POST', '/api/v1/calls', { key: renewed.body.token, body: { tool: 'fs.list', args: { path: '.' } } });
    expect(fresh.status).toBe(200);
  });

  it('reports its scheduler in health', async () => {
    const health = await t.request('GET', '/api/v1/health');
    expect(health.body.scheduler).toMatchObject({ status: 'running', workers: [expect.stringMatching(/^w_/)], concurrency: 4, active: 0 });
    expect(health.body.scheduler.schedules).toEqual([{ workflow: 'workspace-inventory', next: expect.stringMatching(/:00:00\.000Z$/) }]);
  });
});
