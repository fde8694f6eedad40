import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { apiRequest } from '../api/client';
import { queryKeys } from '../api/keys';
import type { DashboardConfig, Me } from '../api/types';
import { ProblemAlert } from '../components/problem-alert';
import { finishSignIn, startSignIn } from '../oidc';
import { saveApiKey, sessionEndReason } from '../session';

/**
 * The sign-in form: an API key, or single sign-on at the OpenID provider when the server has
 * one configured. Either credential is checked against GET /api/v1/me before it is stored, so
 * a wrong one shows the server's reason and is never kept.
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
  const config = useQuery({ queryKey: queryKeys.dashboard, queryFn: () => apiRequest<DashboardConfig>('/api/v1/dashboard'), staleTime: Infinity });
  const returning = useMutation({ mutationFn: finishSignIn, onSuccess: (token) => token !== null && signIn.mutate(token) });
  const { mutate: finish } = returning;
  useEffect(() => finish(), [finish]);
  const provider = config.data?.oidc ?? null;
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
      {provider === null ? null : (
        <div className="stack">
          <p>
            Or sign in at <code>{provider.issuer}</code>:
          </p>
          <div>
            <button type="button" onClick={() => void startSignIn(provider)} disabled={returning.isPending || signIn.isPending}>
              Sign in with single sign-on
            </button>
          </div>
        </div>
      )}
      {config.data?.oidc_error ? (
        <p role="alert" className="alert alert-error">
          {config.data.oidc_error}
        </p>
      ) : null}
      {returning.error === null ? null : (
        <p role="alert" className="alert alert-error">
          Single sign-on failed: {returning.error.message}
        </p>
      )}
      <p className="muted">The key (or the provider's token) is kept in this tab's session storage only and is sent as a bearer token to this server.</p>
    </section>
  );
}
