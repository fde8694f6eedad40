import { createHmac } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { NotificationsConfig } from '../config/index.js';
import { AosError } from '../errors.js';
import type { Db } from '../store/db.js';
import type { NotificationEvent } from './outbox.js';

/** One configured webhook, its secret read from the environment. */
export interface WebhookTarget {
  name: string;
  url: string;
  events: readonly NotificationEvent[];
  secret: string | null;
  timeoutMs: number;
  maxAttempts: number;
}

/** How delivery is going; /api/v1/health reports it as `notifications`. */
export interface DeliveryStatus {
  delivered: number;
  retried: number;
  failed: number;
  lastError: string | null;
}

interface Notification {
  id: number;
  event: NotificationEvent;
  approval_id: string;
  payload: Record<string, unknown>;
  created_at: Date;
}

/** The first retry waits this long; each one after waits twice as long, up to an hour. */
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 3_600_000;
const BATCH = 50;

/**
 * The webhooks the configuration names; a secret variable that is named but unset stops start-up.
 *
 * @example
 * const targets = webhookTargets(config.notifications, process.env);
 */
export function webhookTargets(config: NotificationsConfig, env: NodeJS.ProcessEnv): WebhookTarget[] {
  return Object.entries(config.webhooks).map(([name, hook]) => {
    const secret = hook.secret_env === undefined ? null : env[hook.secret_env];
    if (secret === undefined || secret === '') {
      throw new AosError('CONFIG_INVALID', `notifications.webhooks.${name}.secret_env: environment variable ${hook.secret_env} is not set`, {
        variable: hook.secret_env,
      });
    }
    return { name, url: hook.url, events: hook.events, secret, timeoutMs: hook.timeout_ms, maxAttempts: hook.max_attempts };
  });
}

function message(notification: Notification, link: string): string {
  // Written by enqueueNotification: these members are strings (or null once undecided).
  const p = notification.payload as Record<string, string | null>;
  const what = `${p.tool} (${p.blast_radius}: ${p.blast_reason}) for actor ${p.actor_id}`;
  switch (notification.event) {
    case 'approval.requested':
      return `Approval needed: ${what}. Review: ${link} or aosiq approvals show ${notification.approval_id}`;
    case 'approval.decided':
      return `Approval ${p.status} by ${p.decided_by}: ${what}${p.decision_reason ? ` (${p.decision_reason})` : ''}. ${link}`;
    case 'approval.expired':
      return `Approval expired unused: ${what}. ${link}`;
  }
}

/** The JSON a webhook receives: the event, the approval, a link to it, and Slack-compatible `text`. */
export function webhookBody(notification: Notification, baseUrl: string): string {
  const link = `${baseUrl}/api/v1/approvals/${notification.approval_id}`;
  return JSON.stringify({
    event: notification.event,
    notification_id: Number(notification.id),
    at: new Date(notification.created_at).toISOString(),
    approval: notification.payload,
    link,
    text: message(notification, link),
  });
}

async function post(target: WebhookTarget, body: string, now: Date): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'aosiq-webhooks' };
  if (target.secret !== null) {
    const timestamp = String(Math.floor(now.getTime() / 1000));
    headers['x-aos-timestamp'] = timestamp;
    headers['x-aos-signature'] = `sha256=${createHmac('sha256', target.secret).update(`${timestamp}.${body}`).digest('hex')}`;
  }
  const response = await fetch(target.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(target.timeoutMs) });
  await response.body?.cancel();
  if (response.status < 200 || response.status >= 300) throw new Error(`HTTP ${response.status}`);
}

/**
 * One delivery round for one webhook: takes new notifications into its deliveries, then
 * posts each due one. A failure is retried with exponential back-off until maxAttempts, then
 * marked failed; every outcome is counted in `status`.
 *
 * @example
 * await deliverDue(db, clock, target, 'https://aosiq.example.internal', status);
 */
export async function deliverDue(db: Db, clock: Clock, target: WebhookTarget, baseUrl: string, status: DeliveryStatus): Promise<void> {
  const now = clock.now();
  await db.transaction(async (tx) => {
    await tx.query('INSERT INTO notification_cursors (target, last_id) VALUES ($1, 0) ON CONFLICT (target) DO NOTHING', [target.name]);
    const cursor = (await tx.query<{ last_id: number }>('SELECT last_id FROM notification_cursors WHERE target = $1 FOR UPDATE', [target.name])).rows[0]!;
    const fresh = await tx.query<{ id: number }>('SELECT id FROM notifications WHERE id > $1 ORDER BY id LIMIT 1000', [cursor.last_id]);
    if (fresh.rows.length === 0) return;
    await tx.query(
      `INSERT INTO notification_deliveries (notification_id, target, status, next_attempt_at)
       SELECT id, $1, 'pending', $2 FROM notifications WHERE id > $3 AND id <= $4 AND event = ANY($5::text[])
       ON CONFLICT DO NOTHING`,
      [target.name, now, cursor.last_id, fresh.rows.at(-1)!.id, [...target.events]],
    );
    await tx.query('UPDATE notification_cursors SET last_id = $2 WHERE target = $1', [target.name, fresh.rows.at(-1)!.id]);
  });
  // Claim due deliveries by pushing their next attempt past the timeout, so another process skips them.
  const lease = new Date(now.getTime() + target.timeoutMs * 2);
  const due = await db.query<Notification & { attempts: number }>(
    `WITH claimed AS (
       UPDATE notification_deliveries SET next_attempt_at = $3
        WHERE (notification_id, target) IN (
          SELECT notification_id, target FROM notification_deliveries
           WHERE target = $1 AND status = 'pending' AND next_attempt_at <= $2 ORDER BY notification_id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
       RETURNING notification_id, attempts)
     SELECT n.id, n.event, n.approval_id, n.payload, n.created_at, c.attempts
       FROM claimed c JOIN notifications n ON n.id = c.notification_id ORDER BY n.id`,
    [target.name, now, lease],
  );
  for (const notification of due.rows) {
    const attempts = Number(notification.attempts) + 1;
    try {
      await post(target, webhookBody(notification, baseUrl), now);
      await db.query(`UPDATE notification_deliveries SET status = 'delivered', attempts = $3, delivered_at = $4, last_error = NULL WHERE notification_id = $1 AND target = $2`, [
        notification.id,
        target.name,
        attempts,
        clock.now(),
      ]);
      status.delivered++;
    } catch (error) {
      const reason = `${target.name}: ${(error as Error).message}`;
      const giveUp = attempts >= target.maxAttempts;
      const wait = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempts - 1));
      await db.query(
        `UPDATE notification_deliveries SET status = $3, attempts = $4, next_attempt_at = $5, last_error = $6 WHERE notification_id = $1 AND target = $2`,
        [notification.id, target.name, giveUp ? 'failed' : 'pending', attempts, new Date(clock.now().getTime() + wait), reason],
      );
      status.lastError = reason;
      if (giveUp) status.failed++;
      else status.retried++;
    }
  }
}

/**
 * Counts of deliveries by state, from the database (so they cover every process).
 *
 * @example
 * const { pending, failed } = await deliveryCounts(db);
 */
export async function deliveryCounts(db: Db): Promise<{ pending: number; delivered: number; failed: number }> {
  const { rows } = await db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM notification_deliveries GROUP BY status');
  const count = (status: string) => Number(rows.find((row) => row.status === status)?.n ?? 0);
  return { pending: count('pending'), delivered: count('delivered'), failed: count('failed') };
}
