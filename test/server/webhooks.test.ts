/**
 * Approval notifications: an outbox row per request and decision, delivered to webhooks over
 * real HTTP, signed, retried with back-off, and failures visible in health.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function receiver(failFirst: number): Promise<{ url: string; received: Received[]; attempts: () => number; close: () => Promise<void> }> {
  const received: Received[] = [];
  let attempts = 0;
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      attempts++;
      if (attempts <= failFirst) {
        response.writeHead(503).end('try later');
        return;
      }
      received.push({ headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, attempts: () => attempts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function until(what: string, condition: () => boolean | Promise<boolean>, seconds = 20): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('approval webhooks', () => {
  let t: TestServer;
  let flaky: Awaited<ReturnType<typeof receiver>>;
  let admin: string;
  let approver: string;
  const down = 'http://127.0.0.1:9/nothing-listens-here';

  beforeAll(async () => {
    flaky = await receiver(2);
    t = await startTestServer('enforced', {
      env: { HOOK_SECRET: 'shh-webhook-secret' },
      config: (yaml) =>
        `${yaml}\nnotifications:\n  base_url: https://aosiq.example.internal\n  webhooks:\n` +
        `    ops: { url: "${flaky.url}", secret_env: HOOK_SECRET }\n` +
        `    gone: { url: "${down}", events: [approval.requested], max_attempts: 2, timeout_ms: 500 }\n`,
    });
    admin = await t.key('ops', { spawn_classes: ['*'], grants: [{ tool: '*' }] });
    approver = await t.key('approver', { approve: true, audit: true });
  });
  afterAll(async () => {
    await t?.stop();
    await flaky?.close();
  });

  it('delivers the request and the decision, signed, after retrying a failing receiver, and shows a dead one in health', async () => {
    const actor = await t.request('POST', '/api/v1/agents', {
      key: admin,
      body: { class: 'janitor', grants: [{ tool: 'fs.delete', constraints: { path: [{ prefix: 'tmp/' }] } }] },
    });
    const pending = await t.request('POST', '/api/v1/calls', { key: actor.body.token, body: { tool: 'fs.delete', args: { path: 'tmp/x.log' } } });
    const id = pending.body.approval_id as string;
    await t.request('POST', `/api/v1/approvals/${id}/approve`, { key: approver, body: { reason: 'fine' } });

    await until('both notifications delivered', () => flaky.received.length === 2);
    expect(flaky.attempts()).toBe(4); // two refusals, then each notification once
    const [requested, decided] = flaky.received.map((r) => ({ ...r, json: JSON.parse(r.body) }));
    expect(requested!.json).toMatchObject({
      event: 'approval.requested',
      approval: { id, tool: 'fs.delete', blast_radius: 'high', status: 'pending' },
      link: `https://aosiq.example.internal/api/v1/approvals/${id}`,
      text: expect.stringMatching(/^Approval needed: fs\.delete \(high: deletes a file permanently\) for actor act_\w+\. Review: https:\/\/aosiq\.example\.internal\/api\/v1\/approvals\//),
    });
    expect(requested!.body).not.toContain('tmp/x.log'); // arguments stay behind authentication
    expect(decided!.json).toMatchObject({ event: 'approval.decided', approval: { id, status: 'approved', decided_by: 'key:approver' } });
    for (const r of flaky.received) {
      const expected = createHmac('sha256', 'shh-webhook-secret').update(`${String(r.headers['x-aos-timestamp'])}.${r.body}`).digest('hex');
      expect(r.headers['x-aos-signature']).toBe(`sha256=${expected}`);
    }

    await until('the dead webhook to give up', async () => (await t.request('GET', '/api/v1/health')).body.notifications.failed === 1);
    const health = await t.request('GET', '/api/v1/health');
    expect(health.body).toMatchObject({
      status: 'degraded',
      notifications: { webhooks: ['ops', 'gone'], delivered: 2, failed: 1, last_error: expect.stringMatching(/^gone: /) },
    });
    const { rows } = await t.runtime.db.query<{ target: string; status: string; attempts: number }>(
      'SELECT target, status, attempts FROM notification_deliveries ORDER BY target, notification_id',
    );
    expect(rows).toEqual([
      { target: 'gone', status: 'failed', attempts: 2 },
      { target: 'ops', status: 'delivered', attempts: 2 },
      { target: 'ops', status: 'delivered', attempts: 2 },
    ]);
  }, 60_000);
});
