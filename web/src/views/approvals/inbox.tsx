import { useQuery } from '@tanstack/react-query';
import { apiRequest } from '../../api/client';
import { queryKeys } from '../../api/keys';
import { type Approval, BLAST_RADII } from '../../api/types';
import { BlastBadge, StatusBadge } from '../../components/badges';
import { ProblemAlert } from '../../components/problem-alert';
import { Age, Expiry } from '../../components/timestamp';
import { approvalHref } from '../../routing';
import { useNow } from '../../time';

/**
 * Most dangerous first, then oldest first: the call most likely to hurt, and the one that has
 * waited longest, is at the top.
 *
 * @example
 * approvals.toSorted(byUrgency);
 */
export function byUrgency(left: Approval, right: Approval): number {
  const radius = BLAST_RADII.indexOf(left.blast_radius) - BLAST_RADII.indexOf(right.blast_radius);
  return radius !== 0 ? radius : Date.parse(left.requested_at) - Date.parse(right.requested_at);
}

/** The approvals inbox: pending calls, polled every 2 s so a new request appears without a reload. */
export function ApprovalsInbox() {
  const pending = useQuery({
    queryKey: queryKeys.approvals('pending'),
    queryFn: () => apiRequest<{ approvals: Approval[] }>('/api/v1/approvals?status=pending&limit=200'),
    refetchInterval: 2000,
  });
  const now = useNow(1000);
  const approvals = pending.data?.approvals.toSorted(byUrgency);
  return (
    <>
      <h1>Pending approvals</h1>
      <ProblemAlert error={pending.error} context="Could not load pending approvals" />
      {approvals === undefined ? (
        pending.isPending ? <p>Loading…</p> : null
      ) : approvals.length === 0 ? (
        <p className="empty">No pending approvals</p>
      ) : (
        <PendingTable approvals={approvals} now={now} />
      )}
      <RecentDecisions now={now} />
    </>
  );
}

function PendingTable({ approvals, now }: { approvals: Approval[]; now: number }) {
  return (
    <div className="table-scroll">
      <table aria-label="Pending approvals">
        <thead>
          <tr>
            <th scope="col">Tool</th>
            <th scope="col">Blast radius</th>
            <th scope="col">Waiting</th>
            <th scope="col">Actor</th>
            <th scope="col">Quorum</th>
            <th scope="col">Expiry</th>
          </tr>
        </thead>
        <tbody>
          {approvals.map((approval) => (
            <tr key={approval.id} className={`row-${approval.blast_radius}`}>
              <th scope="row">
                <a href={approvalHref(approval.id)}>{approval.tool}</a>
              </th>
              <td>
                <BlastBadge radius={approval.blast_radius} />
              </td>
              <td>
                <Age iso={approval.requested_at} now={now} />
              </td>
              <td>
                <code>{approval.actor_id}</code>
              </td>
              <td>{approval.quorum === 1 ? '1 approver' : `${approval.quorum} approvers`}</td>
              <td>
                <Expiry iso={approval.expires_at} now={now} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The latest decisions, so an operator can see what colleagues just approved or denied. Rows link
 * by approval id, leaving the tool name as the one link to each pending call.
 */
function RecentDecisions({ now }: { now: number }) {
  const recent = useQuery({
    queryKey: queryKeys.approvals('recent'),
    queryFn: () => apiRequest<{ approvals: Approval[] }>('/api/v1/approvals?limit=20'),
    refetchInterval: 5000,
  });
  const decided = recent.data?.approvals.filter((approval) => approval.status !== 'pending');
  return (
    <section aria-labelledby="recent-heading">
      <h2 id="recent-heading">Recent decisions</h2>
      <ProblemAlert error={recent.error} context="Could not load recent decisions" />
      {decided === undefined ? null : decided.length === 0 ? (
        <p className="empty">No decisions among the latest 20 approvals</p>
      ) : (
        <div className="table-scroll">
          <table aria-label="Recent decisions">
            <thead>
              <tr>
                <th scope="col">Approval</th>
                <th scope="col">Tool</th>
                <th scope="col">Status</th>
                <th scope="col">Blast radius</th>
                <th scope="col">Decided by</th>
                <th scope="col">Decided</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {decided.map((approval) => (
                <tr key={approval.id}>
                  <th scope="row">
                    <a href={approvalHref(approval.id)}>
                      <code>{approval.id}</code>
                    </a>
                  </th>
                  <td>{approval.tool}</td>
                  <td>
                    <StatusBadge status={approval.status} />
                  </td>
                  <td>
                    <BlastBadge radius={approval.blast_radius} />
                  </td>
                  <td>{approval.decided_by ?? <span className="muted">nobody</span>}</td>
                  <td>
                    <Age iso={approval.decided_at} now={now} />
                  </td>
                  <td>{approval.decision_reason ?? <span className="muted">none given</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
