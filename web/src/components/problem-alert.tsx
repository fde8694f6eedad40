import { ApiError } from '../api/client';

/**
 * Shows a failed request as the server described it (detail and stable code), in an alert so a
 * screen reader announces it. Renders nothing when there is no error.
 *
 * @example
 * <ProblemAlert error={query.error} context="Could not load approvals" />
 */
export function ProblemAlert({ error, context }: { error: unknown; context?: string }) {
  if (error === null || error === undefined) return null;
  const { detail, code } = describeError(error);
  return (
    <div role="alert" className="alert alert-error">
      {context === undefined ? null : <strong>{context}: </strong>}
      {detail}
      {code === null ? null : (
        <>
          {' '}
          <code className="problem-code">{code}</code>
        </>
      )}
    </div>
  );
}

function describeError(error: unknown): { detail: string; code: string | null } {
  if (error instanceof ApiError) return { detail: error.problem.detail, code: error.problem.code };
  if (error instanceof Error) return { detail: error.message, code: null };
  return { detail: String(error), code: null };
}
