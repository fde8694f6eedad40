import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { apiRequest } from '../../api/client';
import type { Approval, ApprovalDetail, Me } from '../../api/types';
import { StatusBadge } from '../../components/badges';
import { ProblemAlert } from '../../components/problem-alert';

type Verdict = 'approve' | 'deny';

/** Every reason this operator may not vote now; empty when they may (the server checks the same). */
function voteBlockers(approval: ApprovalDetail, me: Me): string[] {
  const blockers: string[] = [];
  if (approval.status !== 'pending') blockers.push(`This call is ${approval.status}; only a pending call can be decided.`);
  if (!me.scopes.approve) blockers.push('Your key does not have the approve scope.');
  if (approval.approvers !== null && !approval.approvers.includes(me.principal)) {
    blockers.push(`You (${me.principal}) are not among the approvers of ${approval.tool} calls.`);
  }
  const vote = approval.votes.find((cast) => cast.approver === me.principal);
  if (vote !== undefined) blockers.push(`You already voted ${vote.decision} on this call; a quorum needs distinct approvers.`);
  // The server refuses any vote, approve or deny, from the principal that caused the request.
  if (approval.separation_of_duties && (approval.requested_by === me.principal || approval.actor?.principal === me.principal)) {
    blockers.push(`Separation of duties: you (${me.principal}) caused this request, so another principal must decide it.`);
  }
  return blockers;
}

/**
 * The approve/deny form. Buttons are enabled only when the server would accept this
 * operator's vote; a denial needs a reason, and a critical call needs the approver to confirm
 * they read the arguments before Approve is enabled.
 */
export function DecisionForm({ approval, me }: { approval: ApprovalDetail; me: Me }) {
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const [readArguments, setReadArguments] = useState(false);
  const [missingReason, setMissingReason] = useState(false);
  const reasonField = useRef<HTMLTextAreaElement>(null);
  const decide = useMutation({
    mutationFn: ({ verdict, text }: { verdict: Verdict; text: string }) =>
      apiRequest<Approval>(`/api/v1/approvals/${encodeURIComponent(approval.id)}/${verdict}`, { method: 'POST', body: text === '' ? {} : { reason: text } }),
    onSuccess: () => {
      setReason('');
      return queryClient.invalidateQueries({ queryKey: ['approvals'] });
    },
  });
  const blockers = voteBlockers(approval, me);
  const blocked = blockers.length > 0;
  const critical = approval.blast_radius === 'critical';
  const canVote = !blocked && !decide.isPending;
  const submit = (verdict: Verdict) => {
    const text = reason.trim();
    if (verdict === 'deny' && text === '') {
      setMissingReason(true);
      reasonField.current?.focus();
      return;
    }
    setMissingReason(false);
    decide.mutate({ verdict, text });
  };
  return (
    <section aria-labelledby="decision-heading" className="decision">
      <h2 id="decision-heading">Decision</h2>
      {approval.separation_of_duties ? (
        <p className="note">
          Separation of duties: neither the principal that made this call nor the one that started the requesting actor may decide it.{' '}
          {approval.requested_by === null ? null : (
            <>
              Requested by <code>{approval.requested_by}</code>.
            </>
          )}
        </p>
      ) : null}
      {blockers.map((blocker) => (
        <p key={blocker} className="note note-blocked">
          {blocker}
        </p>
      ))}
      <form className="stack" onSubmit={(event) => event.preventDefault()}>
        <label htmlFor="decision-reason">Reason</label>
        <textarea
          id="decision-reason"
          ref={reasonField}
          rows={3}
          maxLength={1000}
          value={reason}
          disabled={blocked}
          aria-invalid={missingReason}
          aria-describedby={missingReason ? 'reason-error' : undefined}
          onChange={(event) => {
            setReason(event.target.value);
            if (event.target.value.trim() !== '') setMissingReason(false);
          }}
        />
        {missingReason ? (
          <p id="reason-error" role="alert" className="field-error">
            A denial needs a reason: say why the call must not run.
          </p>
        ) : null}
        {critical ? (
          <div className="confirm">
            <input id="read-arguments" type="checkbox" checked={readArguments} disabled={blocked} onChange={(event) => setReadArguments(event.target.checked)} />
            <label htmlFor="read-arguments">I have read the arguments</label>
            {readArguments ? null : <p className="muted">This call is critical: confirm you read every argument before approving.</p>}
          </div>
        ) : null}
        <div className="actions">
          <button type="button" className="primary" disabled={!canVote || (critical && !readArguments)} onClick={() => submit('approve')}>
            Approve
          </button>
          <button type="button" className="danger" disabled={!canVote} onClick={() => submit('deny')}>
            Deny
          </button>
        </div>
      </form>
      <ProblemAlert error={decide.error} context="The decision was not recorded" />
      <div role="status">
        {decide.data === undefined ? null : (
          <p className="alert alert-ok">
            Your {decide.variables?.verdict} vote was recorded. The call is now <StatusBadge status={decide.data.status} />.
          </p>
        )}
      </div>
    </section>
  );
}
