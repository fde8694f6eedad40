import { useQuery } from '@tanstack/react-query';
import { apiRequest } from '../api/client';
import { queryKeys } from '../api/keys';
import type { AnchorStatus, Health } from '../api/types';
import { formatDuration, useNow } from '../time';
import { ProblemAlert } from './problem-alert';
import { Age } from './timestamp';

/**
 * Whether the audit log is being anchored outside this system, on every page: an unanchored
 * log can be rewritten by whoever holds the database, so a failing anchor must be seen at once.
 */
export function AnchorBanner() {
  const health = useQuery({
    queryKey: queryKeys.health,
    // Health answers 503 with its usual body when the database is unreachable.
    queryFn: () => apiRequest<Health>('/api/v1/health', { acceptStatuses: [503] }),
    refetchInterval: 10_000,
  });
  const now = useNow(1000);
  if (health.error !== null) {
    return (
      <section aria-label="Anchor status" className="banner banner-failing">
        <ProblemAlert error={health.error} context="Anchor status unavailable" />
      </section>
    );
  }
  if (health.data === undefined) {
    return (
      <section aria-label="Anchor status" className="banner">
        Checking audit anchors…
      </section>
    );
  }
  const anchors = health.data.audit_anchors;
  const failing = anchors.failures > 0;
  return (
    <section aria-label="Anchor status" role={failing ? 'alert' : undefined} className={`banner ${failing ? 'banner-failing' : 'banner-ok'}`}>
      <strong>{failing ? 'Audit anchoring is failing' : 'Audit anchors'}</strong>
      <span>
        Last anchored: <Age iso={anchors.last_success_at} now={now} />
      </span>
      <span>
        Lag: {anchors.lag_events} events, {formatDuration(anchors.lag_seconds * 1000)}
      </span>
      <span>Failures: {anchors.failures}</span>
      {failing ? <FailureDetail anchors={anchors} /> : null}
    </section>
  );
}

function FailureDetail({ anchors }: { anchors: AnchorStatus }) {
  const failingSinks = anchors.sinks.filter((sink) => !sink.ok);
  return (
    <span className="banner-detail">
      Last error: {anchors.last_error ?? 'not reported'}
      {failingSinks.length > 0 ? ` · failing stores: ${failingSinks.map((sink) => `${sink.sink} (${sink.last_error ?? 'no error text'})`).join('; ')}` : null}
    </span>
  );
}
