-- API keys: how operators, dashboards and CI authenticate to the HTTP API (src/server/auth/).
-- Only the SHA-256 of a key's secret is stored; the key itself is shown once, at creation.
-- A rotated key stays valid until expires_at (the overlap window), then stops.
CREATE TABLE api_keys (
  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
  name text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_.-]{0,63}$'),
  secret_sha256 text NOT NULL CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
  scopes jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  expires_at timestamptz,
  revoked_at timestamptz,
  revoked_by text,
  replaced_by text,
  last_used_at timestamptz
);
-- One current key per name: the newest, neither revoked nor replaced.
CREATE UNIQUE INDEX api_keys_current_name_idx ON api_keys (name) WHERE revoked_at IS NULL AND replaced_by IS NULL;
