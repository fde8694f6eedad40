/**
 * The operator dashboard in a real browser: Debian's Chromium driven by playwright-core against
 * the API server, which serves the built page (npm run build) at `/`. Screenshots of each view
 * go to test/artifacts/ (git-ignored) for a reviewer to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_VERIFIER_KEY_FILE } from '../../src/audit/checkpoint/key-file.js';
import { verifyProofFile } from '../../src/audit/log/proof-file.js';
import { reserve, usdToPico } from '../../src/ledger/index.js';
import { startTestServer, type TestServer } from '../server/support.js';
import { ARTIFACTS, chromiumInstalled, launchBrowser } from './browser.js';


describe.skipIf(!chromiumInstalled)('the dashboard in Chromium', () => {
  let t: TestServer;
  let browser: Browser;
  let adminKey: string;
  let approverKey: string;
  let readerKey: string;
  /** Requests any page made to somewhere other than the server under test. */
  const elsewhere: string[] = [];

  beforeAll(async () => {
    t = await startTestServer('enforced');
    adminKey = await t.key('ops', { spawn_classes: ['*'], grants: [{ tool: '*' }], admin: true, audit: true });
    approverKey = await t.key('approver', { approve: true, audit: true });
    readerKey = await t.key('auditor', { audit: true });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  async function signedIn(key: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.on('request', (request) => {
      if (!request.url().startsWith(t.server.url) && !request.url().startsWith('blob:') && !request.url().startsWith('data:')) elsewhere.push(request.url());
    });
    await page.goto(t.server.url);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation').waitFor();
    return page;
  }

  /** An actor of class janitor asks to delete a file: an irreversible call that waits for approval. */
  async function pendingDelete(file: string): Promise<{ id: string; call: () => Promise<{ status: number; body: any }> }> {
    fs.writeFileSync(path.join(t.dir, 'workspace', 'tmp', file), 'stale\n');
    const actor = await t.request('POST', '/api/v1/agents', { key: adminKey, body: { class: 'janitor', grants: [{ tool: 'fs.delete', constraints: { path: [{ prefix: 'tmp/' }] } }] } });
    const call = () => t.request('POST', '/api/v1/calls', { key: actor.body.token, body: { tool: 'fs.delete', args: { path: `tmp/${file}` } } });
    const pending = await call();
    expect(pending.status).toBe(202);
    return { id: pending.body.approval_id as string, call };
  }

  it('shows a new request in the inbox without a reload; approving it in the page lets the actor’s retry run', async () => {
    const page = await signedIn(approverKey);
    await page.getByText('key:approver').first().waitFor();
    await page.getByRole('heading', { name: 'Pending approvals' }).waitFor();
    const { id, call } = await pendingDelete('old.log');
    // The page polls: the request appears while the page stays open.
    await page.getByRole('link', { name: 'fs.delete' }).first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'approvals-inbox.png'), fullPage: true });

    await page.getByRole('link', { name: 'fs.delete' }).first().click();
    await page.waitForURL(`**/#/approvals/${id}`);
    const args = page.getByLabel('Arguments');
    await expect(args.textContent()).resolves.toContain('"tmp/old.log"');
    const shown = await t.request('GET', `/api/v1/approvals/${id}`, { key: approverKey });
    await page.getByText(shown.body.args_hash as string).waitFor();
    await page.getByText(shown.body.blast_reason as string).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'approval-detail.png'), fullPage: true });

    await page.getByLabel('Reason').fill('stale log, checked');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(async () => (await t.request('GET', `/api/v1/approvals/${id}`, { key: approverKey })).body.status as string).toBe('approved');
    await page.getByText('approved', { exact: false }).first().waitFor();
    const ran = await call();
    expect(ran.status).toBe(200);
    expect(fs.existsSync(path.join(t.dir, 'workspace', 'tmp', 'old.log'))).toBe(false);
    const decided = await t.request('GET', `/api/v1/approvals/${id}`, { key: approverKey });
    expect(decided.body).toMatchObject({ decided_by: 'key:approver', decision_reason: 'stale log, checked' });
    await page.close();
  });

  it('denies with a reason; the actor is refused and the file stays', async () => {
    const { id, call } = await pendingDelete('keep.log');
    const page = await signedIn(approverKey);
    await page.goto(`${t.server.url}/#/approvals/${id}`);
    await page.getByRole('button', { name: 'Deny' }).click();
    // A denial needs a reason: nothing is sent without one.
    await page.getByRole('alert').first().waitFor();
    expect((await t.request('GET', `/api/v1/approvals/${id}`, { key: approverKey })).body.status as string).toBe('pending');
    await page.getByLabel('Reason').fill('this log is still needed');
    await page.getByRole('button', { name: 'Deny' }).click();
    await expect.poll(async () => (await t.request('GET', `/api/v1/approvals/${id}`, { key: approverKey })).body.status as string).toBe('denied');
    const refused = await call();
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('APPROVAL_DENIED');
    expect(fs.existsSync(path.join(t.dir, 'workspace', 'tmp', 'keep.log'))).toBe(true);
    await page.close();
  });

  it('can be used from the keyboard alone: sign in, open the request, give a reason and approve', async () => {
    const { id, call } = await pendingDelete('keyboard.log');
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`${t.server.url}/#/approvals/${id}`);
    await page.getByLabel('API key').focus();
    await page.keyboard.type(approverKey);
    await page.keyboard.press('Enter');
    await page.getByLabel('Arguments').waitFor();
    await page.getByLabel('Reason').focus();
    await page.keyboard.type('checked from the keyboard');
    // Tab order from the reason reaches Approve: no element traps focus, nothing needs a mouse.
    for (let step = 0; step < 5 && !(await page.getByRole('button', { name: 'Approve' }).evaluate((button) => button === button.ownerDocument.activeElement)); step++) {
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await t.request('GET', `/api/v1/approvals/${id}`, { key: approverKey })).body.status as string).toBe('approved');
    expect((await call()).status).toBe(200);
    await page.close();
  });

  it('disables the decision buttons for a key without the approve scope, and says why', async () => {
    const { id } = await pendingDelete('other.log');
    const page = await signedIn(readerKey);
    await page.goto(`${t.server.url}/#/approvals/${id}`);
    await page.getByLabel('Arguments').waitFor();
    expect(await page.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Deny' }).isDisabled()).toBe(true);
    await page.getByText('does not have the approve scope').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'approval-read-only.png'), fullPage: true });
    expect((await t.request('GET', `/api/v1/approvals/${id}`, { key: approverKey })).body.status as string).toBe('pending');
    await page.close();
  });

  it('verifies a session in the audit explorer and shows a tampered one as broken, naming the first bad row', async () => {
    const { id } = await pendingDelete('audit.log');
    const approval = await t.request('GET', `/api/v1/approvals/${id}`, { key: approverKey });
    const session = approval.body.session_id as string;
    const page = await signedIn(readerKey);
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('Session').fill(session);
    await page.getByLabel('Session').press('Enter');
    await page.getByRole('button', { name: 'Verify this session' }).click();
    const result = page.getByLabel('Verification result');
    await expect.poll(() => result.textContent()).toContain('Chain intact');
    await page.screenshot({ path: path.join(ARTIFACTS, 'audit-verified.png'), fullPage: true });

    // An event's proof, downloaded from the page, verifies against the checkpoint key on its own.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download proof' }).first().click()]);
    const proof = fs.readFileSync(await download.path(), 'utf8');
    const verifierKey = fs.readFileSync(path.join(t.dir, '.aosiq', 'checkpoint-key', CHECKPOINT_VERIFIER_KEY_FILE), 'utf8').trim();
    expect(verifyProofFile(proof, verifierKey).logIndex).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(proof)).toMatchObject({ format: 'aosiq-event-proof/1', event: { session_id: session } });

    const { rows } = await t.runtime.db.query<{ id: string; chain_seq: string }>('SELECT id, chain_seq FROM audit_events WHERE session_id = $1 ORDER BY chain_seq LIMIT 1 OFFSET 1', [session]);
    const target = rows[0]!;
    await t.runtime.db.query(`UPDATE audit_events SET payload = '{"tampered": true}' WHERE id = $1`, [target.id]);
    await page.getByRole('button', { name: 'Verify this session' }).click();
    await expect.poll(() => result.textContent()).toContain(`Chain broken at event ${Number(target.id)}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'audit-broken.png'), fullPage: true });
    await page.close();
  });

  it('kills an actor from the actors view after a confirmation with a reason, which the audit log records', async () => {
    const parent = await t.request('POST', '/api/v1/agents', { key: adminKey, body: { class: 'reviewer', grants: [{ tool: 'fs.read' }] } });
    const page = await signedIn(adminKey);
    await page.getByRole('link', { name: 'Actors' }).click();
    const kill = page.getByRole('button', { name: `Kill ${parent.body.actor_id}` });
    await kill.waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'actors.png'), fullPage: true });
    await kill.click();
    const dialog = page.getByRole('dialog');
    // No kill without a reason.
    expect(await dialog.getByRole('button', { name: 'Kill' }).isDisabled()).toBe(true);
    await dialog.getByLabel('Reason').fill('runaway reviewer');
    await dialog.getByRole('button', { name: 'Kill' }).click();
    await page.getByText(`Killed 1 actor: ${parent.body.actor_id}`).waitFor();
    expect((await t.request('GET', `/api/v1/agents/${parent.body.actor_id}`, { key: adminKey })).body.state).toBe('killed');
    const events = await t.request('GET', `/api/v1/audit/events?session_id=${parent.body.session_id}&type=STATE_TRANSITION`, { key: adminKey });
    expect(events.body.events.filter((event: { payload: { to: string } }) => event.payload.to === 'killed')).toEqual([
      expect.objectContaining({ principal: 'key:ops', payload: expect.objectContaining({ reason: 'runaway reviewer' }) }),
    ]);
    await page.close();

    // A key without the admin scope sees the button disabled.
    const reader = await signedIn(readerKey);
    await reader.getByRole('link', { name: 'Actors' }).click();
    await reader.getByText('does not have the admin scope').waitFor();
    await reader.close();
  });

  it('shows spend by actor class as a chart and a table, and each live session against its ceiling', async () => {
    const actor = await t.request('POST', '/api/v1/agents', { key: adminKey, body: { class: 'reviewer', grants: [{ tool: 'fs.read' }] } });
    const hold = { sessionId: actor.body.session_id, actorId: actor.body.actor_id, className: 'reviewer', backend: 'ollama', model: 'llama3.2', holdMs: 600_000 };
    await reserve(t.runtime.db, t.runtime.deps.clock, { ...hold, usd: usdToPico(4.5), sessionCeiling: usdToPico(5), dailyCeiling: null });
    const page = await signedIn(readerKey);
    await page.getByRole('link', { name: 'Costs' }).click();
    const table = page.getByRole('table', { name: /Spend by/ });
    await table.waitFor();
    await expect.poll(() => table.textContent()).toContain('janitor');
    await page.getByRole('img').first().waitFor();
    const sessions = page.getByRole('table', { name: 'Live sessions against their ceilings' });
    await expect.poll(() => sessions.textContent()).toContain(actor.body.session_id as string);
    await page.getByRole('meter', { name: `Session ${actor.body.session_id}, class reviewer: 90% of its ceiling` }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'costs.png'), fullPage: true });
    await page.close();
  });

  it('turns the anchor banner on every page into a red alert with the error when anchoring fails', async () => {
    const page = await signedIn(readerKey);
    const banner = page.getByLabel('Anchor status');
    await banner.waitFor();
    expect(await banner.getAttribute('role')).not.toBe('alert');
    // The anchor directory becomes a file: the next checkpoint cannot be anchored.
    const directory = t.runtime.config.audit.anchors.directory!;
    fs.rmSync(directory, { recursive: true, force: true });
    fs.writeFileSync(directory, 'not a directory');
    await t.request('POST', '/api/v1/agents', { key: adminKey, body: { class: 'reviewer', grants: [{ tool: 'fs.read' }] } });
    await t.runtime.seal(true).catch(() => undefined);
    expect(t.runtime.anchors.failures).toBeGreaterThan(0);
    await page.reload();
    await page.getByRole('alert').filter({ hasText: 'Audit anchoring is failing' }).waitFor();
    await expect.poll(() => banner.textContent()).toContain('ENOTDIR');
    await page.screenshot({ path: path.join(ARTIFACTS, 'anchor-failing.png') });
    await page.close();
  });

  it('made no request to any other origin', () => {
    expect(elsewhere).toEqual([]);
  });
});
