import type { AnchorSink } from './sink.js';

/** How one anchor store is doing. */
export interface SinkStatus {
  sink: string;
  /** What the store reported about its protection at start (e.g. its Object Lock mode), or null before the probe. */
  protection: string | null;
  /** Whether the last attempt to reach it (probe, listing or write) succeeded. */
  ok: boolean;
  successes: number;
  failures: number;
  lastSuccessAt: Date | null;
  lastError: string | null;
  /** The newest checkpoint size this store is known to hold. */
  anchoredSize: number;
}

/** How anchoring is going across all stores; what /api/v1/health reports as audit_anchors. */
export interface AnchorStatus {
  successes: number;
  failures: number;
  lastSuccessAt: Date | null;
  lastError: string | null;
  /** The newest checkpoint anchored in every store. */
  anchoredSize: number;
  /** The newest signed checkpoint. */
  checkpointSize: number;
  /** Events signed but not yet anchored everywhere (checkpointSize - anchoredSize). */
  lagEvents: number;
  /** Age of the oldest checkpoint not yet anchored everywhere; 0 when none waits. */
  lagSeconds: number;
  sinks: SinkStatus[];
}

export function newAnchorStatus(sinks: readonly AnchorSink[]): AnchorStatus {
  return {
    successes: 0,
    failures: 0,
    lastSuccessAt: null,
    lastError: null,
    anchoredSize: 0,
    checkpointSize: 0,
    lagEvents: 0,
    lagSeconds: 0,
    sinks: sinks.map((sink) => ({
      sink: sink.name,
      protection: null,
      ok: true,
      successes: 0,
      failures: 0,
      lastSuccessAt: null,
      lastError: null,
      anchoredSize: 0,
    })),
  };
}
