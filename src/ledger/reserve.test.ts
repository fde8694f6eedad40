import { expect, it } from 'vitest';
import { describeEachStore } from '../../test/support/stores.js';
import { manualClock } from '../clock.js';
import { isAosError } from '../errors.js';
import { usdToPico } from './money.js';
import { reserve, type ReservationRequest, settle } from './reserve.js';

function request(overrides: Partial<ReservationRequest> = {}): ReservationRequest {
  return {
    sessionId: 'ses_a',
    actorId: 'act_a',
    className: 'triage',
    backend: 'openai',
    model: 'gpt-4o',
    usd: usdToPico(1),
    holdMs: 60_000,
    sessionCeiling: usdToPico(2.5),
    dailyCeiling: null,
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected COST_CEILING_EXCEEDED');
    },
    (error: unknown) => error,
  );
}

describeEachStore('ledger reservations', (store) => {
  const clock = manualClock(new Date('2026-03-01T22:00:00Z'));
  const settled = (usd: bigint | null) => ({ usd, inputTokens: 1, outputTokens: 1, cachedInputTokens: 0, wallMs: 5, estimated: false });

  it('counts open holds and settled spend against the session ceiling, naming the figures', async () => {
    const { db } = store();
    const first = await reserve(db, clock, request());
    await reserve(db, clock, request());
    const error = await refusal(reserve(db, clock, request()));
    expect(isAosError(error, 'COST_CEILING_EXCEEDED')).toBe(true);
    expect((error as Error).message).toContain('$2.000000 spent or held of its $2.500000 ceiling');
    // Settling below the hold frees the difference: 0.25 spent + 1 held + 1 new = 2.25.
    await db.transaction((tx) => settle(tx, clock, first, settled(usdToPico(0.25))));
    await reserve(db, clock, request());
    expect(await db.transaction((tx) => settle(tx, clock, first, settled(usdToPico(0.25))))).toBe(false);
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM ledger_entries WHERE session_id = 'ses_a'");
    expect(rows[0]!.n).toBe(1);
  });

  it('stops counting the hold of a call that never settled once it expires', async () => {
    const { db } = store();
    const r = request({ sessionId: 'ses_b', sessionCeiling: usdToPico(1.5) });
    await reserve(db, clock, r);
    expect(isAosError(await refusal(reserve(db, clock, r)), 'COST_CEILING_EXCEEDED')).toBe(true);
    clock.advance(60_001);
    await reserve(db, clock, r);
  });

  it('holds a class to its daily ceiling across sessions, and a new UTC day starts afresh', async () => {
    const { db } = store();
    clock.set(new Date('2026-03-01T23:00:00Z'));
    const daily = (sessionId: string) => request({ className: 'nightly', sessionId, sessionCeiling: null, dailyCeiling: usdToPico(2) });
    const hold = await reserve(db, clock, daily('ses_c1'));
    await db.transaction((tx) => settle(tx, clock, hold, settled(usdToPico(1))));
    await reserve(db, clock, daily('ses_c2'));
    const error = await refusal(reserve(db, clock, daily('ses_c3')));
    expect(isAosError(error, 'COST_CEILING_EXCEEDED')).toBe(true);
    expect((error as { details: { scope: string } }).details.scope).toBe('class-day');
    clock.advance(3_600_000);
    await reserve(db, clock, daily('ses_c3'));
  });

  it('records an unpriced call as NULL, not $0', async () => {
    const { db } = store();
    const r = request({ sessionId: 'ses_d', usd: 0n });
    const hold = await reserve(db, clock, r);
    await db.transaction((tx) => settle(tx, clock, hold, settled(null)));
    const { rows } = await db.query<{ usd_pico: string | null }>("SELECT usd_pico FROM ledger_entries WHERE session_id = 'ses_d'");
    expect(rows).toEqual([{ usd_pico: null }]);
  });
});
