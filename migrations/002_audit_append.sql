-- Appends a batch of audit events in one statement, so one commit can carry the events of many
-- sessions (group commit) and each event costs no round trip of its own.
--
-- p_events is a JSON array; each element: session, seq, prev, hash, type, actor, principal,
-- payload, at, and optionally live_actor + live_jti (the row is refused unless that actor is
-- alive and still holds that token). The caller computes each hash over the chain head it
-- expects. Under each session's advisory lock (taken in sorted order, so concurrent batches
-- cannot deadlock) the head is checked; on a mismatch nothing is written for that session and
-- the real head comes back so the caller can recompute and retry. The function is VOLATILE:
-- every statement in it sees what committed before the locks were granted.
CREATE FUNCTION aos_append_events(p_events jsonb)
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
        RETURN QUERY SELECT i, 'appended'::text, (ev->>'seq')::bigint, ev->>'hash', a_state;
      END IF;
    END IF;
    i := i + 1;
  END LOOP;
END
$$;
