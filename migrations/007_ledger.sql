-- The cost ledger: what every model call and every tool call cost, and the in-flight holds that
-- keep session (and class-per-day) ceilings safe under concurrency. Amounts are integer
-- pico-dollars (1e-12 USD) so sums are exact; a NULL amount is an unpriced call, never $0.
CREATE TABLE ledger_reservations (
  id text PRIMARY KEY,
  session_id text NOT NULL,
  actor_id text NOT NULL,
  class text NOT NULL,
  backend text NOT NULL,
  model text NOT NULL,
  usd_pico bigint NOT NULL CHECK (usd_pico >= 0),
  created_at timestamptz NOT NULL,
  -- A call that crashed never settles; its hold stops counting after this.
  expires_at timestamptz NOT NULL,
  settled_at timestamptz
);
CREATE INDEX ledger_reservations_open_session_idx ON ledger_reservations (session_id) WHERE settled_at IS NULL;
CREATE INDEX ledger_reservations_open_class_idx ON ledger_reservations (class, created_at) WHERE settled_at IS NULL;

CREATE TABLE ledger_entries (
  id bigserial PRIMARY KEY,
  session_id text NOT NULL,
  actor_id text,
  class text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('llm', 'compute')),
  backend text,
  model text,
  tool text,
  input_tokens bigint,
  output_tokens bigint,
  cached_input_tokens bigint,
  usd_pico bigint CHECK (usd_pico >= 0),
  wall_ms bigint,
  cpu_ms bigint,
  -- The provider reported no usage: the amount is the reservation's worst case.
  estimated boolean NOT NULL DEFAULT false,
  reservation_id text REFERENCES ledger_reservations (id),
  at timestamptz NOT NULL
);
CREATE INDEX ledger_entries_session_idx ON ledger_entries (session_id);
CREATE INDEX ledger_entries_class_at_idx ON ledger_entries (class, at);
