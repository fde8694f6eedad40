import { createHash } from 'node:crypto';
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
export function chainHash(prevHash: string, event: Omit<AuditEvent, 'id' | 'prev_hash' | 'hash'>): string {
  return createHash('sha256')
    .update(Buffer.from(prevHash, 'hex'))
    .update(canonicalJson(hashedEvent(event), 'audit event'), 'utf8')
    .digest('hex');
}
