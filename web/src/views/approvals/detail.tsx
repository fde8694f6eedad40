import { useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../api/client';
import { queryKeys } from '../../api/keys';
import type { ApprovalDetail, Me } from '../../api/types';
import { BlastBadge, StatusBadge } from '../../components/badges';
import { JsonView } from '../../components/json-view';
import { ProblemAlert } from '../../components/problem-alert';
import { Expiry, Timestamp } from '../../components/timestamp';
import { useNow } from '../../time';
import { ActorChain } from './actor-chain';
import { DecisionForm } from './decision';
import { EvidenceTrail } from './evidence-trail';
import { Quorum } from './quorum';

/**
 * Everything an approver needs before deciding: the exact call and its hash, how much damage it
 * could do, who asked and with what authority, and what happened in the session so far.
 */
export function ApprovalDetailView({ id, me }: { id: string; me: Me }) {
  const detail = useQuery({
    queryKey: queryKeys.approval(id),
    queryFn: () => apiRequest<ApprovalDetail>(`/api/v1/approvals/${encodeURIComponent(id)}`),
    // Votes from other approvers and expiry only matter while the call is still pending.
    refetchInterval: (query) => (query.state.data?.status === 'pending' ? 2000 : false),
  });
  const now = useNow(1000);
  const approval = detail.data;
  if (approval === undefined) {
    return (
      <>
        <p>
          <a href="#/approvals">Back to pending approvals</a>
        </p>
        <h1>Approval {id}</h1>
        {detail.isPending ? <p>Loading…</p> : null}
        <ProblemAlert error={detail.error} context="Could not load this approval" />
      </>
    );
  }
  return (
    <article className="approval">
      <p>
        <a href="#/approvals">Back to pending approvals</a>
      </p>
      <h1>{approval.tool}</h1>
      <ProblemAlert error={detail.error} context="Could not refresh this approval" />
      <div className="approval-layout">
        <div className="approval-main">
          <section aria-labelledby="blast-heading" className={`blast-callout blast-callout-${approval.blast_radius}`}>
            <h2 id="blast-heading">
              Blast radius: <BlastBadge radius={approval.blast_radius} />
            </h2>
            <p>{approval.blast_reason}</p>
          </section>
          <section aria-labelledby="action-heading">
            <h2 id="action-heading">Proposed action</h2>
            <p>
              Tool <code>{approval.tool}</code> with these arguments, in full:
            </p>
            <section aria-label="Arguments" className="arguments">
              <JsonView value={approval.args} />
            </section>
            <dl className="facts">
              <dt>Args hash</dt>
              <dd>
                <code className="hash">{approval.args_hash}</code>
              </dd>
            </dl>
          </section>
          <section aria-labelledby="scope-heading">
            <h2 id="scope-heading">Capability scope</h2>
            {approval.actor === null ? <p className="muted">The requesting actor no longer exists.</p> : <JsonView value={approval.actor.grants} />}
          </section>
          <section aria-labelledby="grant-heading">
            <h2 id="grant-heading">Grant that allowed the call</h2>
            <JsonView value={approval.grant_used} />
          </section>
          <ActorChain approval={approval} />
          <EvidenceTrail events={approval.evidence} />
        </div>
        <aside className="approval-side" aria-label="Status and decision">
          <Facts approval={approval} now={now} />
          <Quorum approval={approval} />
          <DecisionForm approval={approval} me={me} />
        </aside>
      </div>
    </article>
  );
}

function Facts({ approval, now }: { approval: ApprovalDetail; now: number }) {
  return (
    <dl className="facts">
      <dt>Status</dt>
      <dd>
        <StatusBadge status={approval.status} />
        {approval.decided_by === null ? null : ` by ${approval.decided_by}`}
        {approval.decision_reason === null ? null : ` — “${approval.decision_reason}”`}
      </dd>
      <dt>Expiry</dt>
      <dd>{approval.status === 'pending' ? <Expiry iso={approval.expires_at} now={now} /> : <span className="muted">no longer pending</span>}</dd>
      <dt>Requested</dt>
      <dd>
        <Timestamp iso={approval.requested_at} /> by {approval.requested_by ?? 'the actor, with its own capability token'}
        {approval.actor === null ? null : `; the actor was started by ${approval.actor.principal}`}
      </dd>
      <dt>Approval id</dt>
      <dd>
        <code>{approval.id}</code>
      </dd>
      <dt>Session</dt>
      <dd>
        <code>{approval.session_id}</code>
      </dd>
    </dl>
  );
}
