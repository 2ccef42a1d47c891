-- Every Alertmanager notification about an alert, firing and resolved: one row per
-- (alert, status, start, end). Repeated deliveries of the same notification hit the unique
-- index and are not stored twice. Firing rows have ends_at NULL (Alertmanager's end time of a
-- firing alert is only a validity horizon that moves with every re-send).
CREATE TABLE alert_history (
    id          bigserial PRIMARY KEY,
    fingerprint text        NOT NULL,
    alertname   text        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('firing', 'resolved')),
    severity    text,
    service     text,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz,
    labels      jsonb       NOT NULL,
    annotations jsonb       NOT NULL,
    receiver    text        NOT NULL,
    group_key   text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX alert_history_delivery_key
    ON alert_history (fingerprint, status, starts_at, (COALESCE(ends_at, 'epoch'::timestamptz)));

-- What the dashboards and searches filter on.
CREATE INDEX alert_history_starts_at ON alert_history (starts_at);
CREATE INDEX alert_history_alertname_starts_at ON alert_history (alertname, starts_at);
CREATE INDEX alert_history_service_starts_at ON alert_history (service, starts_at);
CREATE INDEX alert_history_labels ON alert_history USING gin (labels);
