import { recordAuditEvent } from '../audit/index.js';
import { storableText } from '../audit/redact.js';
import { createHash } from 'node:crypto';
import type { CapabilityClaims } from '../security/capability/index.js';
import { maskCredentials } from '../security/secrets.js';
import { applyPolicy, type ResultScan, scanResult, warningFor } from '../security/untrusted/index.js';
import { AosError } from '../errors.js';
import type { SyscallDeps } from './ports.js';

/**
 * An excerpt with anything that looks like a credential masked (URL secrets, token formats, a
 * value after a credential's name), before it is cut: a credential cut in two would not be seen.
 */
function masked(text: string): string {
  // Cut after masking: the cut may split a surrogate pair, which storing would refuse.
  return maskCredentials(storableText(text)).slice(0, EXCERPT).toWellFormed();
}

/** Spans kept in one event; the rest are counted. */
const MAX_SPANS = 20;
const EXCERPT = 60;

/**
 * APP_INJECTION_PATTERN_DETECTED for a flagged tool result: tool, call, score, families, what
 * the policy did, and each span as offsets, a hash of its text and a short excerpt (secrets
 * masked), never the whole result.
 *
 * @example
 * if (scan.detection.flagged) await recordInjection(deps, claims, principal, 'fs.read', callId, scan);
 */
export async function recordInjection(
  deps: Pick<SyscallDeps, 'db' | 'clock'>,
  claims: CapabilityClaims,
  principal: string | null,
  tool: string,
  callId: string,
  scan: ResultScan,
): Promise<void> {
  const { detection } = scan;
  await recordAuditEvent(deps.db, deps.clock, {
    sessionId: claims.sid,
    type: 'APP_INJECTION_PATTERN_DETECTED',
    actorId: claims.sub,
    principal,
    payload: {
      tool,
      call_id: callId,
      score: detection.score,
      action: scan.action,
      families: detection.families,
      spans: detection.spans.slice(0, MAX_SPANS).map((span) => ({
        family: span.family,
        rule: span.rule,
        start: span.start,
        end: span.end,
        // An excerpt cut mid-pair may hold a lone surrogate: hashed as UTF-8 (U+FFFD), never refused.
        excerpt_sha256: createHash('sha256').update(span.excerpt, 'utf8').digest('hex'),
        excerpt: masked(span.excerpt),
      })),
      spans_total: detection.spans.length,
    },
  });
}

/**
 * A tool's failure as its callers see it. Its message came out of the tool's run (an upstream MCP
 * server's error text, a remote service's reply) and can carry instructions as a result can: it
 * is scanned the same way, recorded when flagged, redacted or withheld by the class's policy, and
 * marked untrusted (with the warning, if any) for the edges that hand it to a model to wrap.
 *
 * @example
 * throw await screenedFailure(deps, claims, principal, 'words.look_up', callId, failure);
 */
export async function screenedFailure(
  deps: Pick<SyscallDeps, 'db' | 'clock' | 'classes'>,
  claims: CapabilityClaims,
  principal: string | null,
  tool: string,
  callId: string,
  failure: AosError,
): Promise<AosError> {
  const scan = await scanResult(failure.message, deps.classes.get(claims.cls)?.untrusted, claims.sid);
  if (scan.detection.flagged) await recordInjection(deps, claims, principal, tool, callId, scan);
  const shown = applyPolicy(failure.message, scan);
  const message = typeof shown === 'string' ? shown : `${tool} failed; its message was withheld: ${(shown as { reason: string }).reason}`;
  // No `cause`: printed with the error, it would carry the unscreened message (TOOL_CALL_FAILED records it, credentials masked).
  return new AosError(failure.code, message, { ...failure.details, tool, untrusted: { warning: scan.detection.flagged ? warningFor(tool, scan) : null } });
}

/**
 * The warning a failure screened by screenedFailure carries (null: none), or undefined for an
 * error that did not come out of a tool's run.
 */
export function untrustedWarning(error: AosError): string | null | undefined {
  const marked = error.details.untrusted as { warning?: unknown } | undefined;
  if (marked === undefined) return undefined;
  return typeof marked.warning === 'string' ? marked.warning : null;
}
