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

// The chain input of the last call, reused: verifying a log hashes one per event, and hashing is
// synchronous, so two calls never share it. It grows to the largest event seen.
let chainInput = Buffer.alloc(1024);

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
  // UTF-8 takes at most three bytes per UTF-16 code unit.
  if (chainInput.length < 32 + 3 * text.length) chainInput = Buffer.alloc(32 + 3 * text.length);
  const prevBytes = chainInput.write(prevHash, 0, 32, 'hex');
  // A prev_hash that is not 32 bytes of hex is hashed as the bytes up to its first bad digit,
  // zero-padded, as it always was.
  if (prevBytes < 32) chainInput.fill(0, prevBytes, 32);
  const size = 32 + chainInput.write(text, 32, 'utf8');
  return hash('sha256', chainInput.subarray(0, size), 'hex');
}

/**
 * JCS(event) assembled around an already canonical payload, so a writer that retries with a
 * new chain head does not canonicalise the payload again. The members are in JCS order
 * (sorted keys); strings are serialised as JSON.stringify writes them, which is what RFC 8785
 * specifies for the well-formed strings we accept. A test holds it equal to the generic path.
 */
function eventJcs(event: Omit<AuditEvent, 'id' | 'prev_hash' | 'hash'>, payloadJcs: string): string {
  const { actor_id: actor, principal, session_id: session, at, type } = event;
  // Verifying a log assembles one per event; quoting the strings it holds is most of the cost.
  if (isPlain(session) && isPlain(at) && isPlain(type)) {
    return (
      `{"actor":${quote(actor)},"chain_seq":${event.chain_seq},"payload":${payloadJcs},` +
      `"principal":${quote(principal)},"session_id":"${session}","timestamp":"${at}","type":"${type}"}`
    );
  }
  return (
    `{"actor":${JSON.stringify(actor)},"chain_seq":${event.chain_seq},"payload":${payloadJcs},` +
    `"principal":${JSON.stringify(principal)},"session_id":${JSON.stringify(session)},` +
    `"timestamp":${JSON.stringify(at)},"type":${JSON.stringify(type)}}`
  );
}

// Printable ASCII but " and \: a string JSON.stringify writes as it is, between quotes.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7f]*$/;

function isPlain(value: unknown): value is string {
  return typeof value === 'string' && PLAIN.test(value);
}

function quote(value: string | null): string {
  return isPlain(value) ? `"${value}"` : JSON.stringify(value);
}
