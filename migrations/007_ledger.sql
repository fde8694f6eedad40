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

-- A tool call's compute row is written by the statement that appends its outcome event, so the
-- two commit together even when many calls share one group commit: aos_append_events as in
-- 002_audit_append.sql, plus the optional "ledger" member of each event.
CREATE OR REPLACE FUNCTION aos_append_events(p_events jsonb)
RETURNS TABLE (idx integer, status text, head_seq bigint, head_hash text, actor_state text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  ev jsonb;
  i integer := 0;
  s text;
  cur_seq bigint;
  cur_hash text;
  a_state text;
  a_jti text;
  failed text[] := '{}';
BEGIN
  -- Ordered by the lock key itself, so even two sessions whose keys collide lock in one order.
  FOR s IN SELECT d.session FROM (SELECT DISTINCT e->>'session' AS session FROM jsonb_array_elements(p_events) e) d
           ORDER BY hashtextextended(d.session, 0), d.session LOOP
    PERFORM pg_advisory_xact_lock(hashtextextended(s, 0));
  END LOOP;
  FOR ev IN SELECT value FROM jsonb_array_elements(p_events) LOOP
    s := ev->>'session';
    SELECT e.chain_seq, e.hash INTO cur_seq, cur_hash
      FROM audit_events e WHERE e.session_id = s ORDER BY e.chain_seq DESC LIMIT 1;
    IF NOT FOUND THEN
      cur_seq := 0;
      cur_hash := repeat('0', 64);
    END IF;
    a_state := NULL;
    IF s = ANY (failed) THEN
      RETURN QUERY SELECT i, 'skipped'::text, cur_seq, cur_hash, a_state;
    ELSE
      IF ev->>'live_actor' IS NOT NULL THEN
        SELECT a.state, a.token_jti INTO a_state, a_jti FROM actors a WHERE a.id = ev->>'live_actor';
      END IF;
      IF ev->>'live_actor' IS NOT NULL AND (a_jti IS DISTINCT FROM ev->>'live_jti'
           OR a_state IS NULL OR a_state NOT IN ('created', 'runnable', 'running', 'waiting_approval')) THEN
        failed := failed || s;
        RETURN QUERY SELECT i, 'actor_not_alive'::text, cur_seq, cur_hash, a_state;
      ELSIF cur_seq <> (ev->>'seq')::bigint - 1 OR cur_hash <> ev->>'prev' THEN
        failed := failed || s;
        RETURN QUERY SELECT i, 'stale_head'::text, cur_seq, cur_hash, a_state;
      ELSE
        INSERT INTO audit_events (session_id, chain_seq, prev_hash, hash, type, actor_id, principal, payload, at)
        VALUES (s, (ev->>'seq')::bigint, ev->>'prev', ev->>'hash', ev->>'type', ev->>'actor', ev->>'principal',
                ev->'payload', ev->>'at');
        IF jsonb_typeof(ev->'ledger') = 'object' THEN
          INSERT INTO ledger_entries (session_id, actor_id, class, kind, tool, usd_pico, wall_ms, at)
          VALUES (s, ev->>'actor', ev->'ledger'->>'class', 'compute', ev->'ledger'->>'tool',
                  (ev->'ledger'->>'usd_pico')::bigint, (ev->'ledger'->>'wall_ms')::bigint, (ev->>'at')::timestamptz);
        END IF;
        RETURN QUERY SELECT i, 'appended'::text, (ev->>'seq')::bigint, ev->>'hash', a_state;
      END IF;
    END IF;
    i := i + 1;
  END LOOP;
END
$$;
