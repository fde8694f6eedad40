export interface Rounds {
  /** Waits for the round in flight, then stops. */
  stop(): Promise<void>;
}

/**
 * Background work of a long-running process (sealing the audit log, delivering webhooks): one
 * round, then a pause of intervalMs, and so on; rounds never overlap, and requests never wait
 * for one. A round that throws (e.g. the database is unreachable) is reported to onError and
 * the next round tries again.
 *
 * @example
 * const sealer = startRounds(() => runtime.seal(), { intervalMs: 5000, onError: (e) => log.warn(e) });
 * await sealer.stop();
 */
export function startRounds(round: () => Promise<unknown>, options: { intervalMs: number; onError: (error: Error) => void }): Rounds {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const tick = () => {
    current = round()
      .then(
        () => undefined,
        (error: unknown) => options.onError(error instanceof Error ? error : new Error(String(error))),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMs).unref();
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
