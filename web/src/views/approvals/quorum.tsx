import type { ApprovalDetail } from '../../api/types';
import { Timestamp } from '../../components/timestamp';

/**
 * Progress toward the quorum and every vote cast so far, with its reason, so an approver knows
 * whether their vote decides the call.
 */
export function Quorum({ approval }: { approval: ApprovalDetail }) {
  const approvals = approval.votes.filter((vote) => vote.decision === 'approve').length;
  return (
    <section aria-labelledby="quorum-heading">
      <h2 id="quorum-heading">Quorum</h2>
      <p>
        <progress max={approval.quorum} value={Math.min(approvals, approval.quorum)} aria-hidden="true" /> {approvals} of {approval.quorum}{' '}
        {approval.quorum === 1 ? 'approval' : 'approvals'}
      </p>
      {approval.approvers === null ? (
        <p>Any principal with the approve scope may vote.</p>
      ) : (
        <p>
          Only these principals may vote:{' '}
          {approval.approvers.map((approver, index) => (
            <span key={approver}>
              {index > 0 ? ', ' : null}
              <code>{approver}</code>
            </span>
          ))}
        </p>
      )}
      {approval.votes.length === 0 ? (
        <p className="muted">No votes yet.</p>
      ) : (
        <ul aria-label="Votes" className="votes">
          {approval.votes.map((vote) => (
            <li key={`${vote.approver}-${vote.at}`}>
              <strong>{vote.approver}</strong> voted <span className={`vote-${vote.decision}`}>{vote.decision}</span> at <Timestamp iso={vote.at} />
              {vote.reason === null ? null : <>: “{vote.reason}”</>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
