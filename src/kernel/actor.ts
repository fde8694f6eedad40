import { randomBytes } from 'node:crypto';
import type { Grant } from '../security/capability/index.js';

export const ACTOR_STATES = [
  'created',
  'runnable',
  'running',
  'waiting_approval',
  'completed',
  'failed',
  'killed',
  /** Its token ran out before it finished: recoverable with `aosiq actors renew`, not failed. */
  'token_expired',
  /** An agent that proposed an irreversible action without investigating first (terminal). */
  'abandoned_ungrounded',
] as const;

export type ActorState = (typeof ACTOR_STATES)[number];
export type ActorKind = 'agent' | 'job' | 'script';

/** States in which an actor's token still works. A valid signature is not enough. */
export const LIVE_STATES: readonly ActorState[] = ['created', 'runnable', 'running', 'waiting_approval'];

/** The actor control block, as stored. */
export interface ActorRow {
  id: string;
  session_id: string;
  class: string;
  kind: ActorKind;
  parent_id: string | null;
  state: ActorState;
  token_jti: string;
  grants: Grant[];
  delegation_depth: number;
  token_expires_at: Date;
  principal: string;
  /** What the runtime runs for it (workflow or agent); null when it is driven from outside. */
  program: unknown;
  lease_epoch: number;
  worker: string | null;
  last_heartbeat: Date | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * A new identifier with a readable prefix: `act_…` for actors, `ses_…` for sessions.
 *
 * @example
 * newId('act'); // 'act_3f9c…'
 */
export function newId(prefix: 'act' | 'ses' | 'apr' | 'jti'): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}
