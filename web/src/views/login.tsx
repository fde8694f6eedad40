import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { apiRequest } from '../api/client';
import { queryKeys } from '../api/keys';
import type { Me } from '../api/types';
import { ProblemAlert } from '../components/problem-alert';
import { saveApiKey, sessionEndReason } from '../session';

/**
 * The sign-in form. The key is checked against GET /api/v1/me before it is stored, so a wrong
 * key shows the server's reason and is never kept.
 */
export function Login() {
  const [candidate, setCandidate] = useState('');
  const queryClient = useQueryClient();
  const signIn = useMutation({
    mutationFn: (apiKey: string) => apiRequest<Me>('/api/v1/me', { apiKey }),
    onSuccess: (me, apiKey) => {
      queryClient.setQueryData(queryKeys.me, me);
      saveApiKey(apiKey);
    },
  });
  const ended = sessionEndReason();
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    signIn.mutate(candidate.trim());
  };
  return (
    <section className="login" aria-labelledby="login-heading">
      <h1 id="login-heading">Sign in</h1>
      {ended === null ? null : (
        <p role="alert" className="alert alert-error">
          You were signed out: {ended}
        </p>
      )}
      <form onSubmit={submit} className="stack">
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={candidate}
          onChange={(event) => setCandidate(event.target.value)}
        />
        <div>
          <button type="submit" className="primary" disabled={signIn.isPending || candidate.trim() === ''}>
            Sign in
          </button>
        </div>
      </form>
      <ProblemAlert error={signIn.error} context="Sign-in failed" />
      <p className="muted">The key is kept in this tab's session storage only and is sent as a bearer token to this server.</p>
    </section>
  );
}
