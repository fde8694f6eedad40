import { recordAuditEvent } from '../audit/index.js';
import { redactSecrets, storableText } from '../audit/redact.js';
import { createHash } from 'node:crypto';
import type { CapabilityClaims } from '../security/capability/index.js';
import type { ResultScan } from '../security/untrusted/index.js';
import type { SyscallDeps } from './ports.js';

/** An excerpt with anything that looks like a credential masked. */
function masked(text: string): string {
  const value = redactSecrets(text);
  return typeof value === 'string' ? value : '';
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
        excerpt: storableText(masked(span.excerpt.slice(0, EXCERPT))),
      })),
      spans_total: detection.spans.length,
    },
  });
}
