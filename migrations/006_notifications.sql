-- Notifications (aosiq.yaml `notifications:`): an outbox written in the same transaction as the
-- approval change it announces, so none is lost, and a delivery row per (notification,
-- webhook) with retries and back-off, so failures are visible.
CREATE TABLE notifications (
  id bigserial PRIMARY KEY,
  event text NOT NULL,
  approval_id text,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL
);

-- How far each webhook has taken notifications into its deliveries.
CREATE TABLE notification_cursors (
  target text PRIMARY KEY,
  last_id bigint NOT NULL
);

CREATE TABLE notification_deliveries (
  notification_id bigint NOT NULL REFERENCES notifications (id),
  target text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_error text,
  delivered_at timestamptz,
  PRIMARY KEY (notification_id, target)
);
CREATE INDEX notification_deliveries_due_idx ON notification_deliveries (target, next_attempt_at) WHERE status = 'pending';
