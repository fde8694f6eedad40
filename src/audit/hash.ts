import { hash } from 'node:crypto';
import { canonicalJson } from '../security/canonical/index.js';
import type { AuditEvent } from './event.js';

/**
 * The hashed form of an event: exactly the fields docs/audit-format.md lists, so an outsider
 * can recompute the chain from an export.
 */
export function hashedEvent(event: Omit<AuditEvent, 'id' | 'prev_hash' | 'hash'>) {
  return {
    session_id: event.session_id,
    chain_seq: event.chain_seq,
    type: event.type,
    actor: event.actor_id,
    principal: event.principal,
    payload: event.payload,
    timestamp: event.at,
  };
}

/**
 * hash = SHA-256(prev_hash || JCS(event)), prev_hash taken as its 32 raw bytes.
 *
 * @example
 * const hash = chainHash(GENESIS_HASH, event);
 */
export function chainHash(
  prevHash: string,
  event: Omit<AuditEvent, 'id' | 'prev_hash' | 'hash'>,
  payloadJcs?: string,
): string {
  const text = payloadJcs === undefined ? canonicalJson(hashedEvent(event), 'audit event') : eventJcs(event, payloadJcs);
  const input = Buffer.alloc(32 + Buffer.byteLength(text, 'utf8'));
  input.write(prevHash, 0, 32, 'hex');
  input.write(text, 32, 'utf8');
  return hash('sha256', input, 'hex');
}

/**
 * JCS(event) assembled around an already canonical payload, so a writer that retries with a
 * new chain head does not canonicalise the payload again. The members are in JCS order
 * (sorted keys); strings are serialised by JSON.stringify, which is what RFC 8785 specifies
 * for the well-formed strings we accept. A test holds it equal to the generic path.
 */
function eventJcs(event: Omit<AuditEvent, 'id' | 'prev_hash' | 'hash'>, payloadJcs: string): string {
  return (
    `{"actor":${JSON.stringify(event.actor_id)},"chain_seq":${event.chain_seq},"payload":${payloadJcs},` +
    `"principal":${JSON.stringify(event.principal)},"session_id":${JSON.stringify(event.session_id)},` +
    `"timestamp":${JSON.stringify(event.at)},"type":${JSON.stringify(event.type)}}`
  );
}
