/** Where domain code gets the time, so tests can move it. Leases use the database's now(). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * A clock tests set by hand.
 *
 * @example
 * const clock = manualClock(new Date('2026-01-01T00:00:00Z')); clock.advance(60_000);
 */
export function manualClock(start: Date): Clock & { advance(ms: number): void; set(date: Date): void } {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(ms) {
      current += ms;
    },
    set(date) {
      current = date.getTime();
    },
  };
}
