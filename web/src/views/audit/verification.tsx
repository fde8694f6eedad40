import { useMutation } from '@tanstack/react-query';
import { apiRequest } from '../../api/client';
import type { Verification } from '../../api/types';
import { ProblemAlert } from '../../components/problem-alert';

/**
 * Re-hashes one session's chain on the server and says whether it is intact or where it first
 * breaks. The result region exists before the answer so screen readers announce it.
 */
export function SessionVerification({ sessionId }: { sessionId: string }) {
  const verify = useMutation({
    mutationFn: () => apiRequest<Verification>(`/api/v1/audit/sessions/${encodeURIComponent(sessionId)}/verify`),
  });
  const result = verify.data;
  return (
    <div className="verification">
      <button type="button" onClick={() => verify.mutate()} disabled={verify.isPending}>
        Verify this session
      </button>
      <div role="status" aria-label="Verification result" className={result === undefined ? undefined : result.ok ? 'alert alert-ok' : 'alert alert-error'}>
        {verify.isPending ? 'Verifying…' : result === undefined ? null : describe(result)}
      </div>
      <ProblemAlert error={verify.error} context="Could not verify the session" />
    </div>
  );
}

function describe(result: Verification): string {
  if (result.ok) return `Chain intact: ${result.events} ${result.events === 1 ? 'event' : 'events'} verified.`;
  const broken = result.first_break;
  if (broken === null) return `Chain broken (the server named no event) after checking ${result.events} events.`;
  return `Chain broken at event ${broken.id} (seq ${broken.chain_seq}): ${broken.reason}`;
}
