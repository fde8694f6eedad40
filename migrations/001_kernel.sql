-- The kernel: actors and their state machine, approvals, and the per-session audit chain.

CREATE TABLE actor_states (
  state text PRIMARY KEY
);

INSERT INTO actor_states (state) VALUES
  ('created'), ('runnable'), ('running'), ('waiting_approval'),
  ('completed'), ('failed'), ('killed');

-- The allowed transitions. A transition is one UPDATE guarded by this table, so an invalid
-- transition matches zero rows.
CREATE TABLE state_transitions (
  from_state text NOT NULL REFERENCES actor_states (state),
  to_state text NOT NULL REFERENCES actor_states (state),
  PRIMARY KEY (from_state, to_state)
);

INSERT INTO state_transitions (from_state, to_state) VALUES
  ('created', 'runnable'), ('created', 'running'), ('created', 'killed'), ('created', 'failed'),
  ('runnable', 'running'), ('runnable', 'waiting_approval'), ('runnable', 'killed'), ('runnable', 'failed'),
  ('running', 'runnable'), ('running', 'waiting_approval'), ('running', 'completed'),
  ('running', 'failed'), ('running', 'killed'),
  ('waiting_approval', 'runnable'), ('waiting_approval', 'running'), ('waiting_approval', 'failed'),
  ('waiting_approval', 'killed');

CREATE TABLE actors (
  id text PRIMARY KEY,
  session_id text NOT NULL,
  class text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('agent', 'job', 'script')),
  parent_id text REFERENCES actors (id),
  state text NOT NULL REFERENCES actor_states (state),
  token_jti text NOT NULL UNIQUE,
  grants jsonb NOT NULL,
  delegation_depth integer NOT NULL CHECK (delegation_depth >= 0),
  token_expires_at timestamptz NOT NULL,
  principal text NOT NULL,
  worker text,
  last_heartbeat timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  checkpoint jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX actors_session_idx ON actors (session_id);
CREATE INDEX actors_parent_idx ON actors (parent_id);

CREATE TABLE approvals (
  id text PRIMARY KEY,
  session_id text NOT NULL,
  actor_id text NOT NULL REFERENCES actors (id),
  tool text NOT NULL,
  args jsonb NOT NULL,
  args_hash text NOT NULL CHECK (args_hash ~ '^[0-9a-f]{64}$'),
  blast_radius text NOT NULL CHECK (blast_radius IN ('low', 'medium', 'high', 'critical')),
  blast_reason text NOT NULL,
  grant_used jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),
  requested_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz,
  decided_by text,
  decision_reason text,
  consumed_at timestamptz,
  CHECK ((status = 'pending') = (decided_at IS NULL)),
  CHECK ((status = 'consumed') = (consumed_at IS NOT NULL))
);

CREATE INDEX approvals_status_idx ON approvals (status, requested_at);
CREATE INDEX approvals_match_idx ON approvals (actor_id, tool, args_hash) WHERE status = 'approved';

-- One row per audited event. hash = SHA-256(prev_hash || JCS(event)); see docs/audit-format.md.
CREATE TABLE audit_events (
  id bigserial PRIMARY KEY,
  session_id text NOT NULL,
  chain_seq bigint NOT NULL CHECK (chain_seq >= 1),
  prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  type text NOT NULL,
  actor_id text,
  principal text,
  payload jsonb NOT NULL,
  at text NOT NULL,
  UNIQUE (session_id, chain_seq)
);

CREATE INDEX audit_events_type_idx ON audit_events (type);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id);
