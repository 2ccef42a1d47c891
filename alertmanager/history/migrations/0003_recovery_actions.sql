-- Every decision of the recovery runner (alertmanager/recovery) about an alert: acted, dry run,
-- skipped by a guard rail, verified, failed, escalated. Joined to alert_history on
-- (fingerprint, starts_at); the rate limits count the 'acted' rows of a window.
CREATE TABLE recovery_actions (
    id               bigserial PRIMARY KEY,
    at               timestamptz NOT NULL DEFAULT now(),
    fingerprint      text        NOT NULL,
    alertname        text        NOT NULL,
    service          text,
    starts_at        timestamptz NOT NULL,
    labels           jsonb       NOT NULL,
    rule             text        NOT NULL,
    procedure        text        NOT NULL,
    target           text        NOT NULL,
    decision         text        NOT NULL CHECK (decision IN
                         ('acted', 'dry_run', 'skipped', 'verified', 'failed', 'escalated')),
    detail           text        NOT NULL,
    seconds          double precision
);

CREATE INDEX recovery_actions_limits ON recovery_actions (procedure, target, decision, at);
CREATE INDEX recovery_actions_alert ON recovery_actions (fingerprint, starts_at);
CREATE INDEX recovery_actions_at ON recovery_actions (at);
