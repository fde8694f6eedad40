import { z } from 'zod';

export const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** An audit row as files outside the database carry it: every field its chain hash covers. */
export const chainedEventSchema = z.strictObject({
  session_id: z.string(),
  chain_seq: z.number().int().positive(),
  prev_hash: hex64,
  hash: hex64,
  type: z.string(),
  actor_id: z.string().nullable(),
  principal: z.string().nullable(),
  payload: z.record(z.string(), z.json()),
  at: z.string(),
});
