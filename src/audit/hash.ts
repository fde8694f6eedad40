import { hash } from 'node:crypto';
import { canonicalJson } from '../security/canonical/index.js';
import { isPlainJsonString } from '../security/canonical/parsed.js';
import type { AuditEvent } from './event.js';
import type { RawHash } from './merkle/hash.js';

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
// Views of its first n bytes, by n, up to MAX_VIEW: crypto.hash takes exactly the bytes to hash,
// and making a view per event cost a verifier 2% of its time.
const MAX_VIEW = 4096;
let chainViews = newViews();

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
  reserve(text);
  const prevBytes = chainInput.write(prevHash, 0, 32, 'hex');
  // A prev_hash that is not 32 bytes of hex is hashed as the bytes up to its first bad digit,
  // zero-padded, as it always was.
  if (prevBytes < 32) chainInput.fill(0, prevBytes, 32);
  return hash('sha256', chainInputWith(text), 'hex');
}

/**
 * chainHash for a verifier, which has the previous hash as raw bytes already (it recomputed
 * it) and wants raw bytes back for the Merkle leaf: decoding the previous and the stored hash
 * from hex on every event was a tenth of its time.
 *
 * @example
 * const raw = rawChainHash(GENESIS_RAW, event, canonicalJsonOfParsed(event.payload));
 */
export function rawChainHash(
  prevHash: RawHash,
  event: Omit<AuditEvent, 'id' | 'prev_hash' | 'hash'>,
  payloadJcs: string,
): RawHash {
  const text = eventJcs(event, payloadJcs);
  reserve(text);
  for (let i = 0; i < 32; i++) chainInput[i] = prevHash.charCodeAt(i);
  return hash('sha256', chainInputWith(text), 'binary');
}

/** The genesis hash as a raw hash. */
export const GENESIS_RAW: RawHash = '\0'.repeat(32);

/** Makes room in the chain input for the previous hash and the UTF-8 of `text`. */
function reserve(text: string): void {
  // UTF-8 takes at most three bytes per UTF-16 code unit.
  if (chainInput.length >= 32 + 3 * text.length) return;
  chainInput = Buffer.alloc(32 + 3 * text.length);
  chainViews = newViews();
}

// Allocated whole so that V8 keeps it an array rather than a dictionary of the sizes seen.
function newViews(): (Buffer | undefined)[] {
  return new Array<Buffer | undefined>(MAX_VIEW + 1);
}

/** Writes `text` after the previous hash and returns the bytes to hash. */
function chainInputWith(text: string): Buffer {
  const size = 32 + chainInput.write(text, 32, 'utf8');
  if (size > MAX_VIEW) return chainInput.subarray(0, size);
  return (chainViews[size] ??= chainInput.subarray(0, size));
}

// Lower-case hex digits by value, as character codes.
const HEX_DIGITS = Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0));

/**
 * Whether `hex` is the lower-case hex spelling of the raw hash `raw`, as chainHash would have
 * written it; compares without building the hex string.
 *
 * @example
 * sameHash(GENESIS_RAW, GENESIS_HASH); // true
 */
export function sameHash(raw: RawHash, hex: string): boolean {
  if (hex.length !== 64) return false;
  for (let i = 0; i < 32; i++) {
    const byte = raw.charCodeAt(i);
    if (hex.charCodeAt(2 * i) !== HEX_DIGITS[byte >> 4] || hex.charCodeAt(2 * i + 1) !== HEX_DIGITS[byte & 15]) return false;
  }
  return true;
}

/**
 * JCS(event) assembled around an already canonical payload, so a writer that retries with a
 * new chain head does not canonicalise the payload again. The members are in JCS order
 * (sorted keys); strings are serialised as JSON.stringify writes them, which is what RFC 8785
 * specifies for the well-formed strings we accept. A test holds it equal to the generic path.
 */
function eventJcs(event: Omit<AuditEvent, 'id' | 'prev_hash' | 'hash'>, payloadJcs: string): string {
  const { opening, middle } = frameOf(event.session_id, event.actor_id, event.principal);
  const closing = closingOf(event.type);
  const { chain_seq: seq, at } = event;
  if (isPlainJsonString(at)) return `${opening}${seq},"payload":${payloadJcs}${middle}${at}${closing}`;
  // The middle ends with the quote that opens a plain timestamp; the closing starts with the one
  // that ends it.
  return `${opening}${seq},"payload":${payloadJcs}${middle.slice(0, -1)}${JSON.stringify(at)}${closing.slice(1)}`;
}

/**
 * The members of an event before and after its chain_seq and payload that a session's events
 * share: `{"actor":…,"chain_seq":` and `,"principal":…,"session_id":…,"timestamp":"`.
 */
interface EventFrame {
  readonly actor: string | null;
  readonly principal: string | null;
  readonly opening: string;
  readonly middle: string;
}

// Verifying a log assembles the JCS of every event: quoting the same strings again for each, and
// flattening the more pieces that makes before hashing, cost it 5% of its time. So the frame is
// kept per session (checked against the actor and principal, which may change) and the closing
// `","type":…}` per type. Both come from whoever wrote the log, so they are emptied when full.
const frames = new Map<string, EventFrame>();
const closings = new Map<string, string>();
const MAX_CACHED = 10_000;

function frameOf(session: string, actor: string | null, principal: string | null): EventFrame {
  const frame = frames.get(session);
  if (frame !== undefined && frame.actor === actor && frame.principal === principal) return frame;
  const made = {
    actor,
    principal,
    opening: `{"actor":${quote(actor)},"chain_seq":`,
    middle: `,"principal":${quote(principal)},"session_id":${quote(session)},"timestamp":"`,
  };
  if (frames.size >= MAX_CACHED) frames.clear();
  frames.set(session, made);
  return made;
}

function closingOf(type: string): string {
  let closing = closings.get(type);
  if (closing === undefined) {
    closing = `","type":${quote(type)}}`;
    if (closings.size >= MAX_CACHED) closings.clear();
    closings.set(type, closing);
  }
  return closing;
}

function quote(value: string | null): string {
  return isPlainJsonString(value) ? `"${value}"` : JSON.stringify(value);
}
