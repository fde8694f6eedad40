import type { ApprovalStatus, BlastRadius } from '../api/types';

/**
 * The blast radius as a word in a coloured badge: the word carries the meaning, the colour only
 * helps the eye.
 *
 * @example
 * <BlastBadge radius="critical" />
 */
export function BlastBadge({ radius }: { radius: BlastRadius }) {
  return <span className={`badge blast-${radius}`}>{radius}</span>;
}

/**
 * An approval's status as a word in a badge.
 *
 * @example
 * <StatusBadge status="pending" />
 */
export function StatusBadge({ status }: { status: ApprovalStatus }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

/**
 * An actor's state as a word in a badge; live states are told apart from ended ones.
 *
 * @example
 * <StateBadge state="running" live />
 */
export function StateBadge({ state, live }: { state: string; live: boolean }) {
  return <span className={`badge ${live ? 'state-live' : 'state-ended'}`}>{state}</span>;
}
