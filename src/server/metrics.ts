import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AnchorStatus } from '../audit/anchors/index.js';
import type { Db } from '../store/db.js';

export interface Metrics {
  registry: Registry;
  requests: Histogram<'method' | 'route' | 'status'>;
  calls: Counter<'tool' | 'outcome'>;
  denials: Counter<'code'>;
}

/**
 * The Prometheus metrics of one server: request latency, tool calls by outcome, denials by
 * code, pending approvals and the anchor counters (read when scraped).
 *
 * @example
 * const metrics = createMetrics(db, runtime.anchors);
 * reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
 */
export function createMetrics(db: Db, anchors: AnchorStatus): Metrics {
  const registry = new Registry();
  const requests = new Histogram({
    name: 'aosiq_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const calls = new Counter({
    name: 'aosiq_tool_calls_total',
    help: 'Tool calls through the API by outcome (completed, failed, approval_required, refused)',
    labelNames: ['tool', 'outcome'] as const,
    registers: [registry],
  });
  const denials = new Counter({
    name: 'aosiq_denials_total',
    help: 'Requests refused, by error code (capability, auth, scope, approval...)',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'aosiq_approvals_pending',
    help: 'Approvals waiting for a decision',
    registers: [registry],
    async collect() {
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM approvals WHERE status = 'pending'`);
      this.set(Number(rows[0]?.n ?? 0));
    },
  });
  // Counted from the audit log, which only grows: a counter (so rate() works), read afresh at each scrape.
  new Counter({
    name: 'aosiq_injection_detected_total',
    help: 'Tool results flagged as possible prompt injection (APP_INJECTION_PATTERN_DETECTED), by the action taken',
    labelNames: ['action'] as const,
    registers: [registry],
    async collect() {
      const { rows } = await db.query<{ action: string; n: number }>(
        `SELECT payload->>'action' AS action, count(*)::int AS n FROM audit_events WHERE type = 'APP_INJECTION_PATTERN_DETECTED' GROUP BY 1`,
      );
      this.reset();
      for (const action of ['warn', 'redact', 'block']) this.inc({ action }, Number(rows.find((row) => row.action === action)?.n ?? 0));
    },
  });
  const anchorCounter = (name: string, help: string, read: () => number) =>
    new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read()); } });
  const anchorGauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  anchorCounter('aosiq_audit_anchor_successes_total', 'Checkpoints written to anchor stores', () => anchors.successes);
  anchorCounter('aosiq_audit_anchor_failures_total', 'Failed attempts to anchor checkpoints', () => anchors.failures);
  anchorGauge('aosiq_audit_anchor_lag_events', 'Signed events not yet anchored in every store', () => anchors.lagEvents);
  anchorGauge('aosiq_audit_anchor_lag_seconds', 'Age of the oldest checkpoint not anchored everywhere', () => anchors.lagSeconds);
  anchorGauge('aosiq_audit_anchor_last_success_timestamp_seconds', 'When a checkpoint was last anchored', () =>
    anchors.lastSuccessAt ? anchors.lastSuccessAt.getTime() / 1000 : 0,
  );
  return { registry, requests, calls, denials };
}
