-- The global transparency log over every audit event (see docs/audit-format.md).
--
-- log_index is assigned by the integrator in the order events become visible (commit order),
-- never from a sequence: sequences have gaps after rollbacks and commit order differs from id
-- order. The leaf of event i is SHA-256(0x00 || the 32 bytes of its chain hash).
ALTER TABLE audit_events ADD COLUMN log_index bigint;
CREATE UNIQUE INDEX audit_events_log_index_idx ON audit_events (log_index) WHERE log_index IS NOT NULL;
CREATE INDEX audit_events_unintegrated_idx ON audit_events (id) WHERE log_index IS NULL;

-- Hashes of the perfect subtrees: the node at (level, idx) covers leaves
-- [idx * 2^level, (idx + 1) * 2^level). Enough to serve any proof without rereading the log.
CREATE TABLE merkle_nodes (
  level smallint NOT NULL CHECK (level >= 0),
  idx bigint NOT NULL CHECK (idx >= 0),
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  PRIMARY KEY (level, idx)
);

-- The integrator's resumable state: tree size and the compact range of its right edge.
CREATE TABLE log_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  size bigint NOT NULL CHECK (size >= 0),
  edge text NOT NULL
);
INSERT INTO log_state (size, edge) VALUES (0, '');

-- Signed checkpoints, each extending the one before.
CREATE TABLE checkpoints (
  size bigint PRIMARY KEY CHECK (size > 0),
  root text NOT NULL CHECK (root ~ '^[0-9a-f]{64}$'),
  note text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
