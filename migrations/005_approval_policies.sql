-- Approval policies (aosiq.yaml `approvals:`): expiry, quorum of distinct approvers, an
-- optional list of who may approve, and separation of duties. Each approver's decision is a
-- vote; an approval is granted when `quorum` distinct eligible approvers have approved, and
-- denied by the first eligible denial. An approval that runs out becomes 'expired' (decided_at:
-- its approval time, or its expiry when it never got one).
ALTER TABLE approvals DROP CONSTRAINT approvals_status_check;
ALTER TABLE approvals ADD CONSTRAINT approvals_status_check CHECK (status IN ('pending', 'approved', 'denied', 'consumed', 'expired'));
ALTER TABLE approvals ADD COLUMN expires_at timestamptz;
ALTER TABLE approvals ADD COLUMN quorum integer NOT NULL DEFAULT 1 CHECK (quorum >= 1);
ALTER TABLE approvals ADD COLUMN approvers jsonb;
ALTER TABLE approvals ADD COLUMN separation_of_duties boolean NOT NULL DEFAULT true;
ALTER TABLE approvals ADD COLUMN requested_by text;
-- When the requesting actor was told of a denial or expiry (its next identical call is told once).
ALTER TABLE approvals ADD COLUMN reported_at timestamptz;

CREATE TABLE approval_votes (
  approval_id text NOT NULL REFERENCES approvals (id),
  approver text NOT NULL,
  -- The credential the approver used (API key id, token jti), for attribution.
  credential text,
  decision text NOT NULL CHECK (decision IN ('approve', 'deny')),
  reason text,
  at timestamptz NOT NULL,
  PRIMARY KEY (approval_id, approver)
);
