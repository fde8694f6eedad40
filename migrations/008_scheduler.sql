-- The scheduler: actors the runtime itself runs (a workflow or an agent loop: `program`),
-- claimed by workers under a lease whose epoch fences every later write, checkpoints keyed by
-- (actor, step), cron fires claimed once per (schedule, fire time), and two new states.

INSERT INTO actor_states (state) VALUES ('token_expired'), ('abandoned_ungrounded');

INSERT INTO state_transitions (from_state, to_state) VALUES
  ('running', 'token_expired'), ('runnable', 'token_expired'), ('waiting_approval', 'token_expired'),
  ('token_expired', 'runnable'), ('token_expired', 'killed'), ('token_expired', 'failed'),
  ('running', 'abandoned_ungrounded');

ALTER TABLE actors
  -- What the runtime runs for this actor: {"kind":"workflow",...} or {"kind":"agent",...};
  -- NULL for actors driven from outside (API, CLI, MCP), which no worker ever claims.
  ADD COLUMN program jsonb,
  -- Incremented by every claim and every recovery; a write carrying an older epoch matches nothing.
  ADD COLUMN lease_epoch bigint NOT NULL DEFAULT 0,
  ADD COLUMN lease_expires_at timestamptz,
  -- A retry's back-off: not claimable before this.
  ADD COLUMN not_before timestamptz,
  -- The claims a worker re-mints the actor's token from (same jti and expiry; no secret stored).
  ADD COLUMN mint_claims jsonb,
  ADD COLUMN result jsonb;

-- The old placeholder columns; the lease columns above replace them.
ALTER TABLE actors DROP COLUMN checkpoint;
ALTER TABLE actors DROP COLUMN attempts;

CREATE INDEX actors_claimable_idx ON actors (created_at) WHERE state = 'runnable' AND program IS NOT NULL;
CREATE INDEX actors_leased_idx ON actors (lease_expires_at) WHERE state = 'running' AND program IS NOT NULL;
CREATE INDEX actors_waiting_idx ON actors (updated_at) WHERE state = 'waiting_approval' AND program IS NOT NULL;

-- After each step, the actor's working state and position; first writer wins (primary key).
CREATE TABLE actor_checkpoints (
  actor_id text NOT NULL REFERENCES actors (id),
  step integer NOT NULL CHECK (step >= 0),
  epoch bigint NOT NULL,
  state jsonb NOT NULL,
  at timestamptz NOT NULL,
  PRIMARY KEY (actor_id, step)
);

-- One row per (schedule, fire time): the insert that wins is the only one that spawns.
CREATE TABLE schedule_fires (
  schedule text NOT NULL,
  fire_at timestamptz NOT NULL,
  actor_id text REFERENCES actors (id),
  fired_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (schedule, fire_at)
);

-- Wakes idle workers (LISTEN aos_runnable) when an actor becomes claimable.
CREATE FUNCTION aos_notify_runnable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state = 'runnable' AND NEW.program IS NOT NULL THEN
    PERFORM pg_notify('aos_runnable', '');
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER actors_notify_runnable AFTER INSERT OR UPDATE OF state ON actors
  FOR EACH ROW EXECUTE FUNCTION aos_notify_runnable();

-- aos_append_events as in 007_ledger.sql, plus the ledger member's optional "cpu_ms" (a command
-- tool's CPU time, beside its wall time) and two optional members of each event:
-- "live_epoch" (refused with lease_lost unless the actor is running under exactly that lease
-- epoch) and "checkpoint" {step, state} (written with the event; refused with lease_lost when
-- that step already has one).
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
  a_epoch bigint;
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
        SELECT a.state, a.token_jti, a.lease_epoch INTO a_state, a_jti, a_epoch FROM actors a WHERE a.id = ev->>'live_actor';
      END IF;
      IF ev->>'live_actor' IS NOT NULL AND (a_jti IS DISTINCT FROM ev->>'live_jti'
           OR a_state IS NULL OR a_state NOT IN ('created', 'runnable', 'running', 'waiting_approval')) THEN
        failed := failed || s;
        RETURN QUERY SELECT i, 'actor_not_alive'::text, cur_seq, cur_hash, a_state;
      ELSIF ev->>'live_epoch' IS NOT NULL AND (a_state <> 'running' OR a_epoch <> (ev->>'live_epoch')::bigint)
            OR (jsonb_typeof(ev->'checkpoint') = 'object' AND EXISTS (
                  SELECT 1 FROM actor_checkpoints c
                   WHERE c.actor_id = ev->>'actor' AND c.step = (ev->'checkpoint'->>'step')::integer)) THEN
        -- Fenced: the lease was taken (or the actor left running), or this step's checkpoint
        -- already exists. The event, and everything after it in its session, is not written.
        failed := failed || s;
        RETURN QUERY SELECT i, 'lease_lost'::text, cur_seq, cur_hash, a_state;
      ELSIF cur_seq <> (ev->>'seq')::bigint - 1 OR cur_hash <> ev->>'prev' THEN
        failed := failed || s;
        RETURN QUERY SELECT i, 'stale_head'::text, cur_seq, cur_hash, a_state;
      ELSE
        INSERT INTO audit_events (session_id, chain_seq, prev_hash, hash, type, actor_id, principal, payload, at)
        VALUES (s, (ev->>'seq')::bigint, ev->>'prev', ev->>'hash', ev->>'type', ev->>'actor', ev->>'principal',
                ev->'payload', ev->>'at');
        IF jsonb_typeof(ev->'ledger') = 'object' THEN
          INSERT INTO ledger_entries (session_id, actor_id, class, kind, tool, usd_pico, wall_ms, cpu_ms, at)
          VALUES (s, ev->>'actor', ev->'ledger'->>'class', 'compute', ev->'ledger'->>'tool',
                  (ev->'ledger'->>'usd_pico')::bigint, (ev->'ledger'->>'wall_ms')::bigint,
                  (ev->'ledger'->>'cpu_ms')::bigint, (ev->>'at')::timestamptz);
        END IF;
        IF jsonb_typeof(ev->'checkpoint') = 'object' THEN
          INSERT INTO actor_checkpoints (actor_id, step, epoch, state, at)
          VALUES (ev->>'actor', (ev->'checkpoint'->>'step')::integer, (ev->>'live_epoch')::bigint,
                  ev->'checkpoint'->'state', (ev->>'at')::timestamptz);
        END IF;
        RETURN QUERY SELECT i, 'appended'::text, (ev->>'seq')::bigint, ev->>'hash', a_state;
      END IF;
    END IF;
    i := i + 1;
  END LOOP;
END
$$;
