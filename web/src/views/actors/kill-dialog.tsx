import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { apiRequest } from '../../api/client';
import type { Actor } from '../../api/types';
import { ProblemAlert } from '../../components/problem-alert';

/**
 * Confirms a kill in a modal dialog: the kill also ends every live descendant and is recorded
 * with its reason, so the operator must name one. A native <dialog> traps focus and closes on Escape.
 */
export function KillDialog({ actor, onClose, onKilled }: { actor: Actor; onClose: () => void; onKilled: (killed: string[]) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const queryClient = useQueryClient();
  const kill = useMutation({
    mutationFn: (text: string) => apiRequest<{ killed: string[] }>(`/api/v1/agents/${encodeURIComponent(actor.id)}/kill`, { method: 'POST', body: { reason: text } }),
    onSuccess: async (result) => {
      onKilled(result.killed);
      // Killed actors' pending approvals change too.
      await Promise.all([queryClient.invalidateQueries({ queryKey: ['actors'] }), queryClient.invalidateQueries({ queryKey: ['approvals'] })]);
    },
  });
  useEffect(() => {
    const element = dialog.current;
    element?.showModal();
    return () => element?.close();
  }, []);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    kill.mutate(reason.trim());
  };
  return (
    <dialog
      ref={dialog}
      aria-labelledby="kill-heading"
      className="dialog"
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <form onSubmit={submit} className="stack">
        <h2 id="kill-heading">Kill actor {actor.id}?</h2>
        <p>
          This stops <code>{actor.id}</code> (class {actor.class}) and every live actor it spawned. Their tokens stop working at once.
        </p>
        <label htmlFor="kill-reason">Reason</label>
        <textarea id="kill-reason" rows={3} maxLength={1000} required autoFocus value={reason} onChange={(event) => setReason(event.target.value)} />
        <ProblemAlert error={kill.error} context="The actor was not killed" />
        <div className="actions">
          <button type="submit" className="danger" disabled={kill.isPending || reason.trim() === ''}>
            Kill
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
