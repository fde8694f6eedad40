import { z } from 'zod';
import { AosError } from '../../errors.js';
import { canonicalJson, type JsonValue } from '../../security/canonical/index.js';
import type { Queryable } from '../../store/db.js';
import { openCheckpoint, parseVerifierKey } from '../checkpoint/index.js';
import type { AuditEvent } from '../event.js';
import { chainHash } from '../hash.js';
import { inclusionProof, inclusionProofPlan, leafHash, verifyInclusion } from '../merkle/index.js';
import { latestCheckpoint } from './checkpoint-writer.js';
import { chainedEventSchema, hex64 } from './event-schema.js';
import { loadNodes } from './nodes.js';

export const PROOF_FORMAT = 'aosiq-event-proof/1';

const proofFileSchema = z.strictObject({
  format: z.literal(PROOF_FORMAT),
  event: chainedEventSchema,
  log_index: z.number().int().nonnegative(),
  inclusion_proof: z.array(hex64),
  checkpoint: z.string(),
});

export type ProofFile = z.infer<typeof proofFileSchema>;

/**
 * One self-contained proof that an audit event is in the log: the event, its position, its
 * inclusion proof and the signed checkpoint it is proven against. Written as RFC 8785 JSON, so
 * that any changed byte either changes a value or breaks the canonical form.
 *
 * @example
 * fs.writeFileSync('event-42.proof.json', await buildProofFile(db, 42));
 */
export async function buildProofFile(db: Queryable, eventId: number): Promise<string> {
  const row = (
    await db.query<AuditEvent & { log_index: number | null }>(
      `SELECT id, session_id, chain_seq, prev_hash, hash, type, actor_id, principal, payload, at, log_index
         FROM audit_events WHERE id = $1`,
      [eventId],
    )
  ).rows[0];
  if (!row) throw new AosError('NOT_FOUND', `no audit event with id ${eventId}; find ids with \`aosiq audit log --json\``, { eventId });
  const checkpoint = await latestCheckpoint(db);
  const index = row.log_index === null ? null : Number(row.log_index);
  if (index === null || checkpoint === null || checkpoint.size <= index) {
    throw new AosError('NOT_FOUND', `audit event ${eventId} is not covered by a signed checkpoint yet; run \`aosiq audit checkpoint\` first`, {
      eventId,
    });
  }
  const plan = inclusionProofPlan(index, checkpoint.size);
  const proof = inclusionProof(index, checkpoint.size, await loadNodes(db, plan));
  const file: ProofFile = {
    format: PROOF_FORMAT,
    event: {
      session_id: row.session_id,
      chain_seq: Number(row.chain_seq),
      prev_hash: row.prev_hash,
      hash: row.hash,
      type: row.type,
      actor_id: row.actor_id,
      principal: row.principal,
      payload: row.payload,
      at: row.at,
    },
    log_index: index,
    inclusion_proof: proof.map((node) => Buffer.from(node).toString('hex')),
    checkpoint: checkpoint.note,
  };
  return `${canonicalJson(file, 'proof')}\n`;
}

/**
 * Checks a proof file with nothing but the log's verifier key: canonical form, the event's
 * chain hash, the checkpoint's signature, and the event's inclusion under the checkpoint root.
 * Throws AUDIT_CHAIN_BROKEN naming the first check that fails.
 *
 * @example
 * const { size } = verifyProofFile(fs.readFileSync(file, 'utf8'), fs.readFileSync('checkpoint.vkey', 'utf8'));
 */
export function verifyProofFile(text: string, verifierKey: string): { size: number; logIndex: number; origin: string } {
  const broken = (reason: string) => new AosError('AUDIT_CHAIN_BROKEN', `proof rejected: ${reason}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw broken('not JSON');
  }
  const result = proofFileSchema.safeParse(parsed);
  if (!result.success) throw broken(`not an ${PROOF_FORMAT} file (${result.error.issues[0]?.path.join('.')})`);
  const file = result.data;
  if (text !== `${canonicalJson(parsed, 'proof')}\n`) throw broken('the file is not in its canonical form; it was altered');
  const event = { ...file.event, payload: file.event.payload as { [key: string]: JsonValue } };
  if (chainHash(event.prev_hash, event) !== event.hash) throw broken("the event's fields do not match its hash");
  let opened: ReturnType<typeof openCheckpoint>;
  try {
    opened = openCheckpoint(file.checkpoint, [parseVerifierKey(verifierKey.trim())]);
  } catch (error) {
    throw broken(`the checkpoint does not verify with this key: ${(error as Error).message}`);
  }
  const { size, rootHash, origin } = opened.checkpoint;
  const proof = file.inclusion_proof.map((node) => Uint8Array.from(Buffer.from(node, 'hex')));
  const leaf = leafHash(Buffer.from(event.hash, 'hex'));
  if (!verifyInclusion(leaf, file.log_index, size, proof, rootHash)) {
    throw broken(`the event is not included at position ${file.log_index} of the checkpointed tree of size ${size}`);
  }
  return { size, logIndex: file.log_index, origin };
}
