import { type AuditEventInput, recordAuditEvent, SYSTEM_SESSION } from '../audit/index.js';
import { redactSecrets } from '../audit/redact.js';
import type { AosError } from '../errors.js';
import type { JsonValue } from '../security/canonical/index.js';
import type { SyscallDeps } from './ports.js';

/**
 * Records a refusal in a transaction of its own, so the rollback of the refused operation
 * cannot erase it, then hands the error back for the caller to throw.
 *
 * @example
 * throw await recordRefusal(deps, { sessionId, actorId, principal, type: 'CAPABILITY_DENIED' }, error, { tool });
 */
export async function recordRefusal(
  deps: Pick<SyscallDeps, 'db' | 'clock'>,
  where: {
    sessionId: string | null;
    actorId: string | null;
    principal: string | null;
    type: AuditEventInput['type'];
  },
  error: AosError,
  context: { [key: string]: JsonValue },
): Promise<AosError> {
  await recordAuditEvent(deps.db, deps.clock, {
    sessionId: where.sessionId ?? SYSTEM_SESSION,
    type: where.type,
    actorId: where.actorId,
    principal: where.principal,
    // The reason and context may echo what the caller sent: mask credentials, keep it storable.
    payload: redactSecrets({ ...context, code: error.code, reason: error.message }) as { [key: string]: JsonValue },
  });
  return error;
}
