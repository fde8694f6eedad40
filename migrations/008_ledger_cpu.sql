-- A tool call's CPU time (measured for command tools) joins its wall time in the compute row:
-- aos_append_events as in 007_ledger.sql, with the ledger member's optional "cpu_ms".

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
          INSERT INTO ledger_entries (session_id, actor_id, class, kind, tool, usd_pico, wall_ms, cpu_ms, at)
          VALUES (s, ev->>'actor', ev->'ledger'->>'class', 'compute', ev->'ledger'->>'tool',
                  (ev->'ledger'->>'usd_pico')::bigint, (ev->'ledger'->>'wall_ms')::bigint,
                  (ev->'ledger'->>'cpu_ms')::bigint, (ev->>'at')::timestamptz);
        END IF;
        RETURN QUERY SELECT i, 'appended'::text, (ev->>'seq')::bigint, ev->>'hash', a_state;
      END IF;
    END IF;
    i := i + 1;
  END LOOP;
END
$$;
